using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// A run of consecutive tasks of one deal waiting to be handed out, or a single extra replicate request.
/// A <paramref name="Soft"/> entry (a task asking for one more replicate) is kept in memory only: the
/// task re-asks when its request goes stale, so persisting it would only cost writes.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.dispatch-entry.v1")]
public sealed record DispatchEntry(
    [property: Id(0)] DealTicket Deal,
    [property: Id(1)] long FirstIndex,
    [property: Id(2)] int Count,
    [property: Id(3)] IReadOnlyList<string> TaskParams,
    [property: Id(4)] IReadOnlyList<Address> Excluded,
    [property: Id(5)] bool Soft = false);

/// <summary>
/// Who is asking for work. <paramref name="Attestation"/> is the worker's last verified evidence (null:
/// none): a TEE task goes only to a worker whose evidence satisfies its app's policy and is fresh;
/// <paramref name="SimulationAllowed"/> says whether the worker's pool accepts simulated evidence.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.dispatch-request.v1")]
public sealed record DispatchRequest(
    [property: Id(0)] Address Worker,
    [property: Id(1)] CapabilitiesMessage Capabilities,
    [property: Id(2)] int Max,
    [property: Id(3)] WorkerAttestation? Attestation = null,
    [property: Id(4)] bool SimulationAllowed = false);

/// <summary>
/// What a take got, and whether it left the partition with nothing queued for anyone (not just nothing
/// this worker can run): the taker's silo then skips the partition for a while (see DrainedShards).
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.dispatch-take.v1")]
public sealed record DispatchTake(
    [property: Id(0)] IReadOnlyList<TaskTicket> Tickets,
    [property: Id(1)] bool Drained);

/// <summary>
/// One shard of one dispatch class (key "class/shard", e.g. "none-cpu/3"). Deals spread their tasks
/// across the shards of their class; workers pull from the shards of the classes they can serve,
/// starting at their own shard. There is no single scheduler grain.
/// </summary>
/// <remarks>
/// Version 2 added <see cref="TakeAsync"/>'s drained flag. During a rolling update Orleans routes a version-2
/// call only to a silo that has version 2 (an older activation is replaced), and a silo not yet updated still
/// calls version 1's take, which this version keeps.
/// </remarks>
[Alias("orch.IDispatchPartitionGrain"), Orleans.CodeGeneration.Version(2)]
public interface IDispatchPartitionGrain : IGrainWithStringKey
{
    /// <summary>Queues entries (persisted before returning).</summary>
    [Alias("enqueue")]
    Task EnqueueAsync(IReadOnlyList<DispatchEntry> entries);

    /// <summary>Takes up to <see cref="DispatchRequest.Max"/> tickets the worker can run (persisted before returning).</summary>
    [Alias("take.v2")]
    Task<DispatchTake> TakeAsync(DispatchRequest request);

    /// <summary>Version 1's take, for silos not yet updated: the tickets only.</summary>
    [Alias("take")]
    Task<IReadOnlyList<TaskTicket>> TakeTicketsAsync(DispatchRequest request);

    /// <summary>Tasks waiting in this partition.</summary>
    [Alias("depth")]
    Task<long> GetDepthAsync();
}
