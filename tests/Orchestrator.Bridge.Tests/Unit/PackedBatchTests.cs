using System.Numerics;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Contract;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Tests.Unit;

/// <summary>The packed finalizeBatch layout the contract reads (contracts/README.md): runs, indices, flags, what is left out.</summary>
public sealed class PackedBatchTests
{
    private static readonly Hash32 DealA = Fill(0xa1);
    private static readonly Hash32 DealB = Fill(0xb2);
    private static readonly Address Worker = Address.Parse("0x00000000000000000000000000000000000000c3");
    private static readonly Address Enclave = Address.Parse("0x00000000000000000000000000000000000000e4");

    [Fact]
    public void TasksAreGroupedIntoOneRunPerDealAndAnHonestRevealedContributionCarriesNoHashes()
    {
        var packed = Runs(PackedBatch.Encode([Task(DealA, 5), Task(DealB, 0), Task(DealA, 300)]));

        // run A: dealId(32) count(2) then two tasks of 41 + 86 bytes; run B: 34 + 127.
        Assert.Equal((2 * 34) + (3 * (41 + 86)), packed.Length);
        Assert.Equal(DealA.ToArray(), packed[..32]);
        Assert.Equal(new byte[] { 0, 2 }, packed[32..34]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 5 }, packed[34..42]);
        Assert.Equal(PackedBatch.Revealed, packed[34 + 41]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 44 }, packed[(34 + 127)..(34 + 127 + 8)]); // index 300
        Assert.Equal(DealB.ToArray(), packed[(34 + 254)..(34 + 254 + 32)]);
    }

    [Fact]
    public void UnrevealedAndEnclaveSignedContributionsCarryWhatTheContractCannotCompute()
    {
        var unrevealed = Runs(PackedBatch.Encode([Task(DealA, 1, revealed: false)]));
        Assert.Equal(PackedBatch.HashesGiven, unrevealed[34 + 41]);
        Assert.Equal(34 + 41 + 86 + 64, unrevealed.Length);

        var tee = Runs(PackedBatch.Encode([Task(DealA, 1, enclave: true)]));
        Assert.Equal(PackedBatch.Revealed | PackedBatch.EnclaveSigned, tee[34 + 41]);
        Assert.Equal(Enclave.Bytes.ToArray(), tee[(34 + 41 + 86)..(34 + 41 + 86 + 20)]);
        Assert.Equal(34 + 41 + 86 + 85, tee.Length);
    }

    [Fact]
    public void AShortSignatureIsRefusedNamingTheTaskAndTheGasBoundCoversEveryPiece()
    {
        var bad = Task(DealA, 2) with { Contributions = [Task(DealA, 2).Contributions[0] with { WorkerSignature = new byte[64] }] };
        var error = Assert.Throws<ArgumentException>(() => PackedBatch.Encode([bad]));
        Assert.Contains(bad.TaskId.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("65 bytes", error.Message, StringComparison.Ordinal);

        var hundred = Enumerable.Range(0, 100).Select(i => Task(DealA, i)).ToList();
        Assert.InRange(GasBounds.Finalize(hundred), 4_000_000, GasBounds.Ceiling); // a measured batch of 100 uses 0.93M
        Assert.Equal(GasBounds.Ceiling, GasBounds.Finalize(Enumerable.Range(0, 1_000).Select(i => Task(DealA, i)).ToList()));
    }

    [Fact]
    public void TheResultBaseLeadsTheBatchAndACallbackTaskFlagsAndAppendsItsData()
    {
        var data = "price=42"u8.ToArray();
        var callback = Address.Parse("0x00000000000000000000000000000000000000cb");
        var task = Task(DealA, 3) with { Callback = callback, CallbackData = data };
        var packed = PackedBatch.Encode([task, Task(DealA, 4)], "https://pool.example");

        var baseLength = 20;
        Assert.Equal(new byte[] { 0, (byte)baseLength }, packed[..2]);
        Assert.Equal("https://pool.example"u8.ToArray(), packed[2..(2 + baseLength)]);
        var run = packed[(2 + baseLength)..];
        Assert.Equal(1 | PackedBatch.WithCallbackData, run[34 + 40]); // one contribution, callback data follows
        Assert.Equal(new byte[] { 0, (byte)data.Length }, run[(34 + 41 + 86)..(34 + 41 + 86 + 2)]);
        Assert.Equal(data, run[(34 + 41 + 86 + 2)..(34 + 41 + 86 + 2 + data.Length)]);
        Assert.Equal(1, run[34 + 41 + 86 + 2 + data.Length + 40]); // the next task: no flag
        Assert.Equal(34 + (2 * (41 + 86)) + 2 + data.Length, run.Length);
    }

    [Fact]
    public void OversizedCallbackDataOrResultBaseIsRefusedNamingTheLimitAndCallbacksCountInTheGasBound()
    {
        var callback = Address.Parse("0x00000000000000000000000000000000000000cb");
        var big = Task(DealA, 1) with { Callback = callback, CallbackData = new byte[PackedBatch.MaxCallbackData + 1] };
        var error = Assert.Throws<ArgumentException>(() => PackedBatch.Encode([big]));
        Assert.Contains("at most 4096", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PackedBatch.Encode([Task(DealA, 1)], new string('h', PackedBatch.MaxResultBase + 1)));

        var plain = Task(DealA, 2);
        var withCallback = plain with { Callback = callback, CallbackData = [1] };
        Assert.Equal(0, GasBounds.CallbackCost(plain));
        Assert.True(GasBounds.Finalize([withCallback]) - GasBounds.Finalize([plain]) >= GasBounds.CallbackGas);
        Assert.InRange(GasBounds.CallbackBudget / GasBounds.CallbackCost(withCallback), 40, 60);
    }

    private static byte[] Runs(byte[] packed) => packed[2..]; // without the (empty) result base's 2-byte length

    private static Hash32 Fill(byte b) => new(Enumerable.Repeat(b, 32).ToArray());

    private static TaskCompletedV1 Task(Hash32 deal, long index, bool revealed = true, bool enclave = false)
    {
        var taskId = ProtocolIds.TaskId(deal, (ulong)index);
        var digest = Fill(7);
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(Worker, taskId, digest);
        var contribution = new ContributionRecordV1(
            Worker, hash, seal, new byte[65], enclave ? new byte[65] : [], enclave ? Enclave : Address.Zero, revealed, 2, 0, BigInteger.Zero, BigInteger.Zero);
        return new TaskCompletedV1($"e{index}", DateTimeOffset.UnixEpoch, taskId, deal, index, digest, hash, [contribution], BigInteger.Zero, enclave);
    }
}
