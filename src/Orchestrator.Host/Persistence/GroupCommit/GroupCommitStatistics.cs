namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>How many storage operations went out and in how many round trips (one commit each).</summary>
public sealed class GroupCommitStatistics
{
    private long _operations;
    private long _roundTrips;

    /// <summary>Operations carried.</summary>
    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>Round trips (each one transaction, one commit).</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Adds counts (to make a difference of two readings).</summary>
    public void Add(long operations, long roundTrips)
    {
        Interlocked.Add(ref _operations, operations);
        Interlocked.Add(ref _roundTrips, roundTrips);
    }

    internal void Record(int operations)
    {
        Interlocked.Add(ref _operations, operations);
        Interlocked.Increment(ref _roundTrips);
    }
}
