using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Abstractions.Serialization;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Tasks;
using Orleans.Serialization;

namespace Orchestrator.Grains.Tests.Serialization;

/// <summary>
/// Grain state is stored with Orleans' binary serializer, so the bytes of a <see cref="Hash32"/> or an <see cref="Address"/>
/// are a storage format: a task state written before the codecs changed must read the same, and be written the same.
/// The expected bytes were produced by the surrogate-based codecs this project used first (a byte array per value); the
/// state holds a signature shared by a replicate and an outbox event, so reference numbering is checked too.
/// </summary>
public sealed class StoredStateBytesTests
{
    private const string Golden = GoldenBytes.TaskState;

    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(TaskGrainState).Assembly).AddAssembly(typeof(Orchestrator.Abstractions.Serialization.Hash32Codec).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    private static Hash32 H(byte b) => new(Enumerable.Range(0, 32).Select(i => (byte)(b + i)).ToArray());

    private static Address A(byte b) => new(Enumerable.Range(0, 20).Select(i => (byte)(b + i)).ToArray());

    private static TaskGrainState Sample()
    {
        var signature = Enumerable.Range(0, 65).Select(i => (byte)i).ToArray();
        var start = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        var contribution = new ContributionRecordV1(A(1), H(2), H(3), signature, [], Address.Zero, true, 2, 0, 10, 0);
        return new TaskGrainState
        {
            Deal = new DealTicket(H(10), A(20), Address.Zero, 0, 1, TeeTag.NoTee, 100, start, TimeSpan.FromMinutes(5), 1, 512, false, "p", A(30))
            {
                BeneficiaryKey = [1, 2, 3],
            },
            Index = 7,
            Params = "params",
            Status = Domain.Tasks.TaskStatus.Completed,
            Replicates = [new ReplicateState { Worker = A(1), Status = ReplicateStatus.Revealed, AssignedAt = start, Weight = 2, ResultHash = H(2), ResultSeal = H(3), WorkerSignature = signature, RevealedDigest = H(4) }],
            Total = 3,
            Groups = new Dictionary<Hash32, BigInteger> { [H(2)] = 2 },
            ConsensusHash = H(2),
            ResultDigest = H(4),
            EnclaveChallenge = null,
            Outbox = [new TaskCompletedV1("task-completed:x", start, H(5), H(10), 7, H(4), H(2), [contribution], 1, false)],
            PendingOutcomes = [new PendingOutcome(A(1), new WorkerOutcome(H(5), true, null, "won", OutcomeVerdict.Won, 1))],
        };
    }

    [Fact]
    public void A_task_state_is_written_as_the_first_codecs_wrote_it()
    {
        Assert.Equal(Golden, Convert.ToHexStringLower(Serializer.SerializeToArray(Sample())));
    }

    [Fact]
    public void A_task_state_written_by_the_first_codecs_reads_back_whole()
    {
        var read = Assert.IsType<TaskGrainState>(Serializer.Deserialize<TaskGrainState>(Convert.FromHexString(Golden)));
        var sample = Sample();
        var expected = Assert.IsType<DealTicket>(sample.Deal);
        var deal = Assert.IsType<DealTicket>(read.Deal);
        Assert.Equal(expected, deal with { BeneficiaryKey = expected.BeneficiaryKey });
        Assert.Equal(expected.BeneficiaryKey, deal.BeneficiaryKey);
        Assert.Equal(H(2), Assert.Single(read.Replicates).ResultHash);
        Assert.Equal(A(1), read.Replicates[0].Worker);
        Assert.Null(read.EnclaveChallenge);
        Assert.Equal(H(2), read.ConsensusHash);
        Assert.Equal(2, read.Groups[H(2)]);
        var completed = Assert.IsType<TaskCompletedV1>(Assert.Single(read.Outbox));
        Assert.Equal(sample.Replicates[0].WorkerSignature, completed.Contributions[0].WorkerSignature);
        Assert.Same(read.Replicates[0].WorkerSignature, completed.Contributions[0].WorkerSignature); // one array, referenced twice
        Assert.Equal(Address.Zero, completed.Contributions[0].EnclaveChallenge);
        Assert.Equal(H(5), read.PendingOutcomes[0].Outcome.TaskId);
    }
}

/// <summary>The stored bytes of <see cref="StoredStateBytesTests"/>' sample, as the surrogate codecs wrote them.</summary>
internal static class GoldenBytes
{
    public const string TaskState =
        "20000521e82040410a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829e0214029141516171819"
        + "1a1b1c1d1e1f2021222324252627e02140290000000000000000000000000000000000000000e001010105210001e0410364"
        + "21800060cc49c752df08810000000000000000e081005ed0b200000000010501021001014103702140291e1f202122232425"
        + "262728292a2b2c2d2e2f3031e041070102032140290000000000000000000000000000000000000000e00101e0011d410d70"
        + "6172616d7309030d210003212040290102030405060708090a0b0c0d0e0f1011121314e009030921800060cc49c752df0881"
        + "0000000000000000e00109010121404102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021e021"
        + "4041030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122e04183000102030405060708090a0b0c"
        + "0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e"
        + "3f40c101c1012140410405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223e0e0e0410303210103"
        + "21404102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021e0400302e021404102030405060708"
        + "090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021e0c1012140410405060708090a0b0c0d0e0f10111213141516"
        + "1718191a1b1c1d1e1f20212223e0c101c20101012100033101f6e0236c356f7263682e6576742e7461736b2d636f6d706c65"
        + "7465642e7631e840217461736b2d636f6d706c657465643a7821800060cc49c752df08810000000000000000e02140410506"
        + "0708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324e02140410a0b0c0d0e0f10111213141516171819"
        + "1a1b1c1d1e1f20212223242526272829e0011d2140410405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        + "20212223e021404102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021e03101f30b108c715265"
        + "61644f6e6c794c697374496e74657266616365436f64656360315b5b6f7263682e6576742e636f6e747269627574696f6e2e"
        + "76315d5d000321e82040290102030405060708090a0b0c0d0e0f1011121314e021404102030405060708090a0b0c0d0e0f10"
        + "1112131415161718191a1b1c1d1e1f2021e0214041030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        + "202122e0c15f41012140290000000000000000000000000000000000000000e001030109010142030a410300e0e041030101"
        + "012140290000000000000000000000000000000000000000e0c101e0e00101c10122000321e8204029010203040506070809"
        + "0a0b0c0d0e0f1011121314e021e820404105060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324e0"
        + "0103c1014107776f6e0903050105e0e0e0c101c101c101c101e0";
}
