using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Events;

/// <summary>
/// An event that leaves the cluster through the bus. Consumers are idempotent by <see cref="EventId"/>:
/// the outbox publishes at least once, so the same event may arrive twice.
/// </summary>
public interface IIntegrationEvent
{
    /// <summary>Stable id: the event kind and the key of what it is about (e.g. "task-completed:0x…").</summary>
    string EventId { get; }

    /// <summary>When the change happened.</summary>
    DateTimeOffset OccurredAt { get; }
}

/// <summary>A deal was accepted by the pool and its tasks exist.</summary>
[GenerateSerializer, Immutable, Alias("orch.evt.deal-accepted.v1")]
public sealed record DealAcceptedV1(
    [property: Id(0)] string EventId,
    [property: Id(1)] DateTimeOffset OccurredAt,
    [property: Id(2)] Hash32 DealId,
    [property: Id(3)] Address Requester,
    [property: Id(4)] long BotFirst,
    [property: Id(5)] int BotSize,
    [property: Id(6)] int Trust,
    [property: Id(7)] uint TeeTag) : IIntegrationEvent;

/// <summary>
/// One contributor of a completed task, with what the chain needs to check it. Id 9 (a predicted
/// score after settlement) is retired: the worker grain applies outcomes to its current score.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.evt.contribution.v1")]
public sealed record ContributionRecordV1(
    [property: Id(0)] Address Worker,
    [property: Id(1)] Hash32 ResultHash,
    [property: Id(2)] Hash32 ResultSeal,
    [property: Id(3)] byte[] WorkerSignature,
    [property: Id(4)] byte[] EnclaveSignature,
    [property: Id(5)] Address EnclaveChallenge,
    [property: Id(6)] bool Revealed,
    [property: Id(7)] int Weight,
    [property: Id(8)] int ScoreBefore,
    [property: Id(10)] BigInteger Reward,
    [property: Id(11)] BigInteger StakeSeized);

/// <summary>
/// A task completed: consensus result and settlement. The chain bridge finalizes it. When the deal names a
/// <paramref name="Callback"/> contract, <paramref name="CallbackData"/> is what the app wrote in computed.json
/// (its keccak256 is <paramref name="ResultDigest"/>) and the hub passes it to the callback.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.evt.task-completed.v1")]
public sealed record TaskCompletedV1(
    [property: Id(0)] string EventId,
    [property: Id(1)] DateTimeOffset OccurredAt,
    [property: Id(2)] Hash32 TaskId,
    [property: Id(3)] Hash32 DealId,
    [property: Id(4)] long Index,
    [property: Id(5)] Hash32 ResultDigest,
    [property: Id(6)] Hash32 ResultHash,
    [property: Id(7)] IReadOnlyList<ContributionRecordV1> Contributions,
    [property: Id(8)] BigInteger SchedulerReward,
    [property: Id(9)] bool TeeFastPath,
    [property: Id(10)] Address Callback = default,
    [property: Id(11)] byte[]? CallbackData = null) : IIntegrationEvent
{
    /// <summary>True when the deal names a callback contract (the finalization then carries <see cref="CallbackData"/>).</summary>
    public bool HasCallback => !Callback.IsZero;
}

/// <summary>A task failed at its final deadline: the requester is refunded, no worker punished.</summary>
[GenerateSerializer, Immutable, Alias("orch.evt.task-failed.v1")]
public sealed record TaskFailedV1(
    [property: Id(0)] string EventId,
    [property: Id(1)] DateTimeOffset OccurredAt,
    [property: Id(2)] Hash32 TaskId,
    [property: Id(3)] Hash32 DealId,
    [property: Id(4)] long Index,
    [property: Id(5)] BigInteger Refund,
    [property: Id(6)] string Reason) : IIntegrationEvent;

/// <summary>A worker missed its heartbeats; its replicates went back to the queue.</summary>
[GenerateSerializer, Immutable, Alias("orch.evt.worker-lost.v1")]
public sealed record WorkerLostV1(
    [property: Id(0)] string EventId,
    [property: Id(1)] DateTimeOffset OccurredAt,
    [property: Id(2)] Address Worker,
    [property: Id(3)] int ReplicatesReleased) : IIntegrationEvent;

/// <summary>Every task of a deal reached a final status.</summary>
[GenerateSerializer, Immutable, Alias("orch.evt.deal-finished.v1")]
public sealed record DealFinishedV1(
    [property: Id(0)] string EventId,
    [property: Id(1)] DateTimeOffset OccurredAt,
    [property: Id(2)] Hash32 DealId,
    [property: Id(3)] int Completed,
    [property: Id(4)] int Failed) : IIntegrationEvent;

/// <summary>Where events leave the cluster. In-memory in the embedded mode; MassTransit on RabbitMQ in production.</summary>
public interface IEventBus
{
    /// <summary>Publishes events; returns once the bus has accepted them (durably, for a durable bus).</summary>
    Task PublishAsync(IReadOnlyList<IIntegrationEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>
/// Handles the events of the in-memory bus (the RabbitMQ bus has MassTransit consumers instead).
/// Handlers must be idempotent by <see cref="IIntegrationEvent.EventId"/>: delivery is at least once.
/// </summary>
public interface IIntegrationEventHandler
{
    /// <summary>Handles one event.</summary>
    Task HandleAsync(IIntegrationEvent integrationEvent, CancellationToken cancellationToken);
}
