namespace Orchestrator.Domain.Deals;

/// <summary>What a task's final notice did to its deal.</summary>
public enum DealNotice
{
    /// <summary>Outside the deal, or that task was already counted: nothing changes.</summary>
    Ignored = 0,

    /// <summary>Counted; derived progress, written behind.</summary>
    Counted = 1,

    /// <summary>Counted, and it was the deal's last open task: the deal is finished (written through, announced once).</summary>
    Finished = 2,
}

/// <summary>What a cancellation did to its deal.</summary>
public enum DealCancellation
{
    /// <summary>Cancelled now: its open tasks must be cancelled too.</summary>
    Cancelled = 1,

    /// <summary>It already was; nothing changes (its tasks may be told again).</summary>
    AlreadyCancelled = 2,

    /// <summary>Every task was already final; nothing changes.</summary>
    AlreadyFinished = 3,
}

/// <summary>
/// A deal's progress as pure rules: which of its tasks are known to be final (one bit per task),
/// counts by outcome, and when the deal is finished. Notices are idempotent per task index, since a
/// task repeats its notice whenever the deal nudges it and it is already final.
/// </summary>
public sealed class DealRun
{
    private readonly byte[] _finalBits;

    /// <summary>Loads a deal's progress.</summary>
    public DealRun(long botFirst, int botSize, byte[] finalBits, int completed, int failed, int reopens, bool finished, string? cancelReason = null)
    {
        if (finalBits.Length != (botSize + 7) / 8)
        {
            throw new ArgumentException($"a deal of {botSize} tasks keeps {(botSize + 7) / 8} bytes of final bits, got {finalBits.Length}", nameof(finalBits));
        }

        BotFirst = botFirst;
        BotSize = botSize;
        _finalBits = (byte[])finalBits.Clone();
        Completed = completed;
        Failed = failed;
        Reopens = reopens;
        Finished = finished;
        CancelReason = cancelReason;
    }

    /// <summary>A new deal: nothing final yet.</summary>
    public static DealRun Start(long botFirst, int botSize) => new(botFirst, botSize, new byte[(botSize + 7) / 8], 0, 0, 0, false);

    /// <summary>The first task index.</summary>
    public long BotFirst { get; }

    /// <summary>How many tasks.</summary>
    public int BotSize { get; }

    /// <summary>Tasks completed.</summary>
    public int Completed { get; private set; }

    /// <summary>Tasks failed.</summary>
    public int Failed { get; private set; }

    /// <summary>Reopens summed over its final tasks.</summary>
    public int Reopens { get; private set; }

    /// <summary>True once every task is final.</summary>
    public bool Finished { get; private set; }

    /// <summary>
    /// Why the deal was cancelled (its creation vanished from the chain), or null. A cancelled deal runs
    /// nothing more and settles nothing: its tasks refuse every call and none is finalized or claimed.
    /// </summary>
    public string? CancelReason { get; private set; }

    /// <summary>True once cancelled.</summary>
    public bool Cancelled => CancelReason is not null;

    /// <summary>The final bits, to persist.</summary>
    public byte[] FinalBits => (byte[])_finalBits.Clone();

    /// <summary>True when the task at <paramref name="index"/> is known to be final.</summary>
    public bool IsFinal(long index) => Offset(index) is { } offset && (_finalBits[offset >> 3] & (1 << (offset & 7))) != 0;

    /// <summary>Counts a task's final notice, once per index.</summary>
    public DealNotice TaskFinal(long index, bool completed, int reopens)
    {
        if (Offset(index) is not { } offset || IsFinal(index))
        {
            return DealNotice.Ignored;
        }

        _finalBits[offset >> 3] |= (byte)(1 << (offset & 7));
        Reopens += reopens;
        if (completed) Completed++;
        else Failed++;

        if (Completed + Failed == BotSize && !Finished)
        {
            Finished = true;
            return DealNotice.Finished;
        }

        return DealNotice.Counted;
    }

    /// <summary>
    /// Cancels the deal, once (the first reason stays). A finished deal is not cancelled: every task
    /// already settled in the cluster, and what is left of it on chain is refused there.
    /// </summary>
    public DealCancellation Cancel(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (Cancelled) return DealCancellation.AlreadyCancelled;
        if (Finished) return DealCancellation.AlreadyFinished;
        CancelReason = reason;
        return DealCancellation.Cancelled;
    }

    /// <summary>The indices of tasks not known to be final, lowest first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<long> OpenIndices(int max = int.MaxValue)
    {
        var open = new List<long>();
        for (var offset = 0; offset < BotSize && open.Count < max; offset++)
        {
            if ((_finalBits[offset >> 3] & (1 << (offset & 7))) == 0)
            {
                open.Add(BotFirst + offset);
            }
        }

        return open;
    }

    private int? Offset(long index)
    {
        var offset = index - BotFirst;
        return offset >= 0 && offset < BotSize ? (int)offset : null;
    }
}
