using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Dispatch;

/// <summary>Decides which shard of a dispatch class an entry goes to, and which shards a worker looks at first.</summary>
public sealed class DispatchRouter(IOptions<SchedulingOptions> options)
{
    /// <summary>Shards per class.</summary>
    public int Shards => options.Value.DispatchShards;

    /// <summary>The shard of a task (stable: derived from its id).</summary>
    public int ShardOf(Hash32 taskId) => (int)(BitConverter.ToUInt32(taskId.ToArray(), 28) % (uint)Shards);

    /// <summary>The shard a worker starts its search at, so workers spread over the shards.</summary>
    public int HomeShard(Address worker) => (int)(BitConverter.ToUInt32(worker.Bytes[16..]) % (uint)Shards);

    /// <summary>Queues entries of one task on its shard.</summary>
    public Task EnqueueAsync(IGrainFactory grains, string dispatchClass, Hash32 taskId, IReadOnlyList<DispatchEntry> entries)
        => grains.Partition(dispatchClass, ShardOf(taskId)).EnqueueAsync(entries);

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
                calls.Add(grains.Partition(dispatchClass, shard).EnqueueAsync(list));
            }
        }

        return Task.WhenAll(calls);
    }
}
