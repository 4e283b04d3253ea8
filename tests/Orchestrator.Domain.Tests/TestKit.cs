using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Domain.Tests;

/// <summary>Small helpers shared by the domain tests: real keys, real signatures, no mocks.</summary>
internal static class TestKit
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Hash32 RandomHash()
    {
        var bytes = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return new Hash32(bytes);
    }

    /// <summary>A hash whose last byte is <paramref name="b"/> (for small, readable hash sets).</summary>
    public static Hash32 SmallHash(int b)
    {
        var bytes = new byte[32];
        bytes[0] = 0xAB;
        bytes[31] = (byte)b;
        return new Hash32(bytes);
    }

    public static TaskTerms Terms(int trust, Category? category = null, TeeTag? tag = null, BigInteger? price = null)
    {
        var c = category ?? Category.XS;
        return new TaskTerms(
            Hash32.Parse("0x" + new string('1', 64)),
            7,
            trust,
            c.Timeref,
            Deadlines.Contribution(Start, c.Timeref),
            Deadlines.Final(Start, c.Timeref),
            tag ?? TeeTag.NoTee,
            price ?? new BigInteger(1_000_000_000_000_000_000));
    }

    public static TaskRun NewTask(int trust, Category? category = null, TeeTag? tag = null, BigInteger? price = null)
    {
        var terms = Terms(trust, category, tag, price);
        return new TaskRun(ProtocolIds.TaskId(terms.DealId, (ulong)terms.Index), terms);
    }
}

/// <summary>A worker with a real secp256k1 key that computes and signs real contributions.</summary>
internal sealed class TestWorker
{
    public TestWorker(int score = 0)
    {
        Key = Secp256k1.NewPrivateKey();
        Address = Secp256k1.AddressOf(Key);
        Score = score;
    }

    public byte[] Key { get; }

    public Address Address { get; }

    public int Score { get; }

    public (Hash32 Hash, Hash32 Seal, byte[] Signature) Contribution(Hash32 taskId, Hash32 digest)
    {
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(Address, taskId, digest);
        return (hash, seal, Sign(taskId, hash, seal));
    }

    public byte[] Sign(Hash32 taskId, Hash32 hash, Hash32 seal)
        => EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), Key).ToBytes65();

    public TaskStep Contribute(TaskRun task, Hash32 digest, DateTimeOffset now)
    {
        var (hash, seal, signature) = Contribution(task.TaskId, digest);
        return task.Contribute(Address, Score, hash, seal, signature, now);
    }
}

/// <summary>Everything observable about a task, as text, to prove a refusal changed nothing.</summary>
internal static class TaskSnapshot
{
    public static string Of(TaskRun task)
    {
        var replicates = string.Join(
            "; ",
            task.Replicates.Select(r =>
                $"{r.Worker.ToLowerHex()}|{r.Status}|{r.AssignedAt:O}|{r.Weight}|{r.Score}|{r.ResultHash}|{r.ResultSeal}|" +
                $"{(r.WorkerSignature is null ? "-" : Hex.Encode(r.WorkerSignature))}|{(r.EnclaveSignature is null ? "-" : Hex.Encode(r.EnclaveSignature))}|" +
                $"{r.ContributedAt:O}|{r.RevealedDigest}"));
        var groups = string.Join(",", task.Tally.Groups.OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Value}"));
        return $"{task.Status}#{replicates}#{task.Tally.Trust}/{task.Tally.Total}/{groups}#{task.ConsensusHash}#{task.RevealDeadline:O}#" +
               $"{task.ResultDigest}#{task.EnclaveChallenge}#{task.FinishedAt:O}#{task.Reopens}";
    }
}
