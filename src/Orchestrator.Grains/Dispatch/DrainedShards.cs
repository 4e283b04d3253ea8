using System.Collections.Concurrent;

namespace Orchestrator.Grains.Dispatch;

/// <summary>
/// What this silo knows about which dispatch partitions are empty: a take that left a partition with
/// nothing queued (for anyone, not only for the worker asking) marks it, and idle sweeps skip it until
/// an enqueue through this silo reaches it or the mark is <see cref="Memory"/> old. Idle workers
/// outnumber queued work most of the time, and asking every empty shard was most of a lifecycle's calls.
/// <para>
/// Work queued through this silo is seen at once: each shard counts the enqueues this silo completed
/// on it, and a mark holds only while that count is still what it was when its take began (so a take
/// answered after an enqueue it did not see cannot hide that enqueue, whatever order the replies are
/// handled in). Work queued through another silo (its deals and tasks, its lost workers' releases) is
/// seen at most <see cref="Memory"/> after the take that found the partition empty. Partitions never
/// add tickets by themselves: every ticket arrives through a router's enqueue.
/// </para>
/// Lock-free: one counter and one mark per shard, written with interlocked and volatile operations.
/// </summary>
public sealed class DrainedShards(int shards, TimeSpan memory, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ClassShards> _classes = new(StringComparer.Ordinal);

    /// <summary>How long a mark holds against enqueues through other silos; zero turns marking off.</summary>
    public TimeSpan Memory => memory;

    /// <summary>True when a take found the partition empty recently and nothing was enqueued on it through this silo since.</summary>
    public bool IsDrained(string dispatchClass, int shard)
    {
        if (memory <= TimeSpan.Zero || !_classes.TryGetValue(dispatchClass, out var known))
        {
            return false;
        }

        var mark = Volatile.Read(ref known.Marks[shard]);
        return mark is not null
            && mark.Enqueues == Volatile.Read(ref known.Enqueues[shard])
            && time.GetElapsedTime(mark.TakenAt) < memory;
    }

    /// <summary>Notes what was known before a take (call it before the take is sent).</summary>
    public TakeStart BeforeTake(string dispatchClass, int shard)
        => new(dispatchClass, shard, Volatile.Read(ref For(dispatchClass).Enqueues[shard]), time.GetTimestamp());

    /// <summary>The take begun at <paramref name="start"/> left its partition empty.</summary>
    public void Drained(TakeStart start)
    {
        if (memory > TimeSpan.Zero)
        {
            Volatile.Write(ref For(start.DispatchClass).Marks[start.Shard], new Mark(start.Enqueues, start.TakenAt));
        }
    }

    /// <summary>An enqueue through this silo reached the partition: its mark no longer holds.</summary>
    public void Enqueued(string dispatchClass, int shard) => Interlocked.Increment(ref For(dispatchClass).Enqueues[shard]);

    private ClassShards For(string dispatchClass) => _classes.GetOrAdd(dispatchClass, static (_, n) => new ClassShards(n), shards);

    /// <summary>What a worker knew as its take began.</summary>
    public readonly record struct TakeStart(string DispatchClass, int Shard, long Enqueues, long TakenAt);

    // One immutable object per mark, so a reader never pairs one take's count with another's time.
    private sealed record Mark(long Enqueues, long TakenAt);

    private sealed class ClassShards(int shards)
    {
        public readonly long[] Enqueues = new long[shards];
        public readonly Mark?[] Marks = new Mark?[shards];
    }
}
