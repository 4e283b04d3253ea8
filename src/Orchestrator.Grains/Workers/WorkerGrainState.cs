using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Grains.Workers;

/// <summary>Where a held replicate is, from the worker's side.</summary>
public enum HeldPhase
{
    /// <summary>Handed out, running.</summary>
    Running = 0,

    /// <summary>Contributed; waiting for consensus or a reveal request.</summary>
    Contributed = 1,

    /// <summary>Revealed; waiting for settlement.</summary>
    Revealed = 2,
}

/// <summary>A replicate the worker holds.</summary>
[GenerateSerializer, Alias("orch.state.held.v1")]
public sealed class HeldReplicate
{
    [Id(0)] public required Assignment Assignment { get; set; }
    [Id(1)] public HeldPhase Phase { get; set; }
    [Id(2)] public byte[]? EnclaveKey { get; set; }
}

/// <summary>A worker grain's persisted state (state name "worker").</summary>
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
}
