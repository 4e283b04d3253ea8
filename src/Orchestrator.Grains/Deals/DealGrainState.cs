using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Grains.Deals;

/// <summary>A deal grain's persisted state (state name "deal").</summary>
[GenerateSerializer, Alias("orch.state.deal.v1")]
public sealed class DealGrainState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public DealSpecMessage? Spec { get; set; }
    [Id(2)] public DealTicket? Ticket { get; set; }

    /// <summary>One bit per task offset: set once the task is known to be final.</summary>
    [Id(3)] public byte[] FinalBits { get; set; } = [];
    [Id(4)] public int Completed { get; set; }
    [Id(5)] public int Failed { get; set; }
    [Id(6)] public bool Dispatched { get; set; }
    [Id(7)] public bool Finished { get; set; }
    [Id(8)] public List<IIntegrationEvent> Outbox { get; set; } = [];
    [Id(9)] public DateTimeOffset CreatedAt { get; set; }
    [Id(10)] public int Reopens { get; set; }

    /// <summary>The spec's beneficiary key is a copy of the requester's registered key, not one the deal named.</summary>
    [Id(11)] public bool BeneficiaryKeyRegistered { get; set; }

    /// <summary>Why the deal was cancelled (its DealCreated log vanished from the chain), or null.</summary>
    [Id(12)] public string? CancelReason { get; set; }

    /// <summary>The deal's progress as the core sees it (null before the deal exists).</summary>
    public DealRun? ToDomain() => Spec is null ? null : new DealRun(Spec.BotFirst, Spec.BotSize, FinalBits, Completed, Failed, Reopens, Finished, CancelReason);

    /// <summary>Copies the core's progress back before a write.</summary>
    public void CopyFrom(DealRun run)
    {
        FinalBits = run.FinalBits;
        Completed = run.Completed;
        Failed = run.Failed;
        Reopens = run.Reopens;
        Finished = run.Finished;
        CancelReason = run.CancelReason;
    }
}
