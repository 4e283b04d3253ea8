namespace Orchestrator.Chain.Reorgs;

/// <summary>
/// The chain no longer holds any block hash the listener kept: the fork is deeper than its history, so
/// it cannot tell which of its logs were undone. It stops rather than lose them silently.
/// </summary>
public sealed class ReorgTooDeepException(long cursor, long oldestKept, int kept)
    : InvalidOperationException(
        $"the chain reorganised deeper than the {kept} block hashes the listener keeps: none of blocks {oldestKept}..{cursor} is still on the chain; " +
        $"raise Orchestrator:Chain:ListenerHashHistory above the reorg's depth and set the listener's cursor (bridge_cursors) below the fork to read it again")
{
    /// <summary>The listener's cursor when the reorg was found.</summary>
    public long Cursor { get; } = cursor;

    /// <summary>The oldest block whose hash it kept.</summary>
    public long OldestKept { get; } = oldestKept;

    /// <summary>How many hashes it kept: the reorg is deeper than this.</summary>
    public int Kept { get; } = kept;
}
