using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// One shard of the pool's liveness roster (keyed by shard number, see
/// <see cref="Domain.Workers.LivenessRoster.ShardOf"/>): the workers with a live session, persisted, behind one
/// reminder. Each tick pokes every listed worker grain, which wakes the grain of a worker whose silo died on a
/// survivor, where it judges its worker's liveness (and releases what a lost worker held). It replaces one
/// reminder per worker.
/// </summary>
[Alias("orch.IWorkerRosterGrain")]
public interface IWorkerRosterGrain : IGrainWithIntegerKey
{
    /// <summary>Lists a worker; returns once the listing is persisted (a worker is listed before its session is recorded).</summary>
    [Alias("enlist")]
    Task EnlistAsync(Address worker);

    /// <summary>Pokes every listed worker and drops those that need no waking: what the shard's reminder does.</summary>
    [Alias("tick")]
    Task TickAsync();

    /// <summary>Whether <paramref name="worker"/> is listed (operators, tests).</summary>
    [Alias("lists")]
    Task<bool> ListsAsync(Address worker);
}
