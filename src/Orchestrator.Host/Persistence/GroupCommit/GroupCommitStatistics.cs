namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>How many storage operations went out, in how many round trips (one commit each), carrying how many state bytes.</summary>
public sealed class GroupCommitStatistics
{
    private long _operations;
    private long _roundTrips;
    private long _payloadBytes;

    /// <summary>Operations carried.</summary>
    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>Round trips (each one transaction, one commit).</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Serialized grain state written (bytes of the payloads sent).</summary>
    public long PayloadBytes => Interlocked.Read(ref _payloadBytes);

    /// <summary>Adds counts (to make a difference of two readings).</summary>
    public void Add(long operations, long roundTrips, long payloadBytes)
    {
        Interlocked.Add(ref _operations, operations);
        Interlocked.Add(ref _roundTrips, roundTrips);
        Interlocked.Add(ref _payloadBytes, payloadBytes);
    }

    internal void Record(int operations, long payloadBytes)
    {
        Interlocked.Add(ref _operations, operations);
        Interlocked.Increment(ref _roundTrips);
        Interlocked.Add(ref _payloadBytes, payloadBytes);
    }
}
