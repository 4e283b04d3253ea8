using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Dispatch;

/// <summary>
/// Decides which shard of a dispatch class an entry goes to, and which shards a worker looks at first;
/// remembers which partitions this silo's takes found empty (<see cref="DrainedShards"/>), and forgets
/// it as soon as it queues work there.
/// </summary>
public sealed class DispatchRouter(IOptions<SchedulingOptions> options, OrchestratorClock clock)
{
    /// <summary>Partitions this silo saw empty, for idle sweeps to skip.</summary>
    public DrainedShards Drained { get; } = new(options.Value.DispatchShards, options.Value.EmptyShardMemory, clock.Time);

    /// <summary>Shards per class.</summary>
    public int Shards => options.Value.DispatchShards;

    /// <summary>The shard of a task (stable: derived from its id).</summary>
    public int ShardOf(Hash32 taskId) => (int)(BitConverter.ToUInt32(taskId.ToArray(), 28) % (uint)Shards);

    /// <summary>The shard a worker starts its search at, so workers spread over the shards.</summary>
    public int HomeShard(Address worker) => (int)(BitConverter.ToUInt32(worker.Bytes[16..]) % (uint)Shards);

    /// <summary>Queues entries of one task on its shard.</summary>
    public Task EnqueueAsync(IGrainFactory grains, string dispatchClass, Hash32 taskId, IReadOnlyList<DispatchEntry> entries)
        => EnqueueOnAsync(grains, dispatchClass, ShardOf(taskId), entries);

    /// <summary>Spreads a deal's entries over every shard of its class, one call per shard.</summary>
    public Task FanOutAsync(IGrainFactory grains, string dispatchClass, IReadOnlyList<DispatchEntry> entries, int startShard)
    {
        var byShard = new List<DispatchEntry>[Shards];
        for (var i = 0; i < entries.Count; i++)
        {
            var shard = (startShard + i) % Shards;
            (byShard[shard] ??= []).Add(entries[i]);
        }

        var calls = new List<Task>();
        for (var shard = 0; shard < Shards; shard++)
        {
            if (byShard[shard] is { Count: > 0 } list)
            {
                calls.Add(EnqueueOnAsync(grains, dispatchClass, shard, list));
            }
        }

        return Task.WhenAll(calls);
    }

    private async Task EnqueueOnAsync(IGrainFactory grains, string dispatchClass, int shard, IReadOnlyList<DispatchEntry> entries)
    {
        try
        {
            await grains.Partition(dispatchClass, shard).EnqueueAsync(entries);
        }
        finally
        {
            // After the partition has the entries, never before: a take it answered before them may
            // still be on its way back, and its "empty" must not outlive them. A failed call may still
            // have queued them, so it forgets the mark too.
            Drained.Enqueued(dispatchClass, shard);
        }
    }
}
