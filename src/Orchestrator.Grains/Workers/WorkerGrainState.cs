using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Grains.Workers;

/// <summary>A replicate the worker holds: what it was handed and where it is (the phase is <see cref="WorkerRun"/>'s).</summary>
[GenerateSerializer, Alias("orch.state.held.v1")]
public sealed class HeldReplicate
{
    [Id(0)] public required Assignment Assignment { get; set; }
    [Id(1)] public HeldPhase Phase { get; set; }

    /// <summary>Retired: enclave keys are no longer handed out with assignments (the secret service releases them). Kept so old state loads.</summary>
    [Id(2)] public byte[]? EnclaveKey { get; set; }
}

/// <summary>A worker grain's persisted state (state name "worker"): the facts of its <see cref="WorkerRun"/>, plus the assignments it holds and its outbox.</summary>
[GenerateSerializer, Alias("orch.state.worker.v1")]
public sealed class WorkerGrainState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public WorkerState State { get; set; }
    [Id(2)] public CapabilitiesMessage? Capabilities { get; set; }
    [Id(3)] public int Score { get; set; }
    [Id(4)] public Dictionary<Hash32, HeldReplicate> Held { get; set; } = [];
    [Id(5)] public string SessionId { get; set; } = string.Empty;
    [Id(6)] public bool SimulatedTee { get; set; }
    [Id(7)] public int Contributions { get; set; }
    [Id(8)] public int Wins { get; set; }
    [Id(9)] public int Losses { get; set; }
    [Id(10)] public List<IIntegrationEvent> Outbox { get; set; } = [];
    [Id(11)] public int LostCount { get; set; }
    [Id(12)] public DateTimeOffset? LastSeen { get; set; }
    [Id(13)] public WorkerAttestation? Attestation { get; set; }

    /// <summary>The core, loaded from these facts at <paramref name="now"/>.</summary>
    public WorkerRun ToDomain(Address worker, DateTimeOffset now)
        => new(worker, new WorkerSnapshot(State, SessionId, Score, Held.ToDictionary(h => h.Key, h => h.Value.Phase), Contributions, Wins, Losses, LostCount, LastSeen), now);

    /// <summary>Copies the core's facts back before a write; holdings it dropped go, the phases it moved follow.</summary>
    public void CopyFrom(WorkerRun run)
    {
        State = run.State;
        SessionId = run.SessionId;
        Score = run.Score;
        Contributions = run.Contributions;
        Wins = run.Wins;
        Losses = run.Losses;
        LostCount = run.LostCount;
        LastSeen = run.LastHeartbeat;
        foreach (var taskId in Held.Keys.Where(id => !run.Held.ContainsKey(id)).ToList())
        {
            Held.Remove(taskId);
        }

        foreach (var (taskId, phase) in run.Held)
        {
            if (Held.TryGetValue(taskId, out var held))
            {
                held.Phase = phase;
            }
        }
    }
}
