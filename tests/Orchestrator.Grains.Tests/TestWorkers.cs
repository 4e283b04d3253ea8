using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Simulation;

namespace Orchestrator.Grains.Tests;

/// <summary>A worker driven step by step by a test, speaking to its worker grain like a session would.</summary>
internal sealed class ManualWorker(IGrainFactory grains, TeeKind tee = TeeKind.None, int slots = 4, string? mrEnclave = null, Func<DateTimeOffset>? now = null)
{
    public byte[] Key { get; } = Secp256k1.NewPrivateKey();

    /// <summary>The simulated enclave of a TEE worker (its session key signs fetches and opens sealed secrets).</summary>
    public SimulatedEnclave? Enclave { get; } = tee == TeeKind.None ? null : new SimulatedEnclave(tee, mrEnclave);

    /// <summary>The protocol clock's now, for evidence and fetch timestamps.</summary>
    public DateTimeOffset Now => now?.Invoke() ?? DateTimeOffset.UtcNow;

    /// <summary>The challenge the last evidence answered (the test plays the server).</summary>
    public byte[] Challenge { get; private set; } = [];

    public Address Address => Secp256k1.AddressOf(Key);

    public string Session { get; } = Guid.NewGuid().ToString("n");

    public IWorkerGrain Grain => grains.Worker(Address);

    public async Task<WorkerRegistration> RegisterAsync(bool authorize = true)
    {
        if (authorize)
        {
            await grains.Pool().AuthorizeAsync([Address]);
        }

        Challenge = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var evidence = Enclave?.NewSession(Challenge, Now);
        return await Grain.RegisterAsync(new WorkerHello(Address, new CapabilitiesMessage(tee, 4, 8192, false, slots, []), Session, tee != TeeKind.None, evidence));
    }

    /// <summary>Asks the secret service for a task's key and secrets, as the enclave does.</summary>
    public Task<(byte[]? EnclaveKey, IReadOnlyDictionary<string, byte[]> Secrets, SecretFetchResult Result)> FetchAsync(Hash32 taskId)
        => Enclave!.FetchAsync(grains, Address, Session, taskId, Now);

    /// <summary>The last re-attestation the server asked of this worker (seen by a poll).</summary>
    public ReattestCommand? Reattest { get; private set; }

    public async Task<List<AssignCommand>> TakeAsync(int freeSlots = 4)
    {
        var poll = await Grain.PollAsync(Session, freeSlots);
        Reattest = poll.Commands.OfType<ReattestCommand>().LastOrDefault() ?? Reattest;
        return poll.Commands.OfType<AssignCommand>().ToList();
    }

    public (Hash32 Hash, Hash32 Seal, byte[] Signature) Contribution(Hash32 taskId, Hash32 digest)
    {
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(Address, taskId, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), Key).ToBytes65();
        return (hash, seal, signature);
    }

    public Task<TaskCallResult> ContributeAsync(Hash32 taskId, Hash32 digest)
    {
        var (hash, seal, signature) = Contribution(taskId, digest);
        return Grain.ContributeAsync(taskId, hash, seal, signature);
    }

    public static Hash32 Digest(Assignment a) => SimulatedWorker.HonestDigest(a.TaskId, a.Params);
}

internal static class Deals
{
    /// <summary>A fresh random address (an app or dataset of its own, so tests sharing the cluster do not share policies or secrets).</summary>
    public static Address NewAddress() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));

    public static DealSpecMessage New(ClusterFixture fixture, int tasks, int trust, TeeTag? tag = null, int? category = null)
        => DemoRunner.NewDeal(new DemoSettings(tasks, 1, trust, 0, 0, tag?.RequiresTee ?? false, TimeSpan.FromMinutes(1), CategoryId: category ?? ClusterFixture.TestCategory.Id), fixture.Time.GetUtcNow())
            with { Tag = tag ?? TeeTag.NoTee, PublicResults = tag?.RequiresTee ?? false };

    public static Task<DealView> WaitFinishedAsync(IGrainFactory grains, Hash32 dealId, TimeSpan timeout)
        => Eventually.ForAsync($"deal {dealId} to finish", () => grains.Deal(dealId).GetViewAsync(), v => v.IsFinished, timeout, describe: v => $"{v.Completed} completed, {v.Failed} failed of {v.BotSize}");
}
