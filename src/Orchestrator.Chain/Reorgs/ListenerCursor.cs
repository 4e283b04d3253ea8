using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Reorgs;

/// <summary>
/// A chain listener's position with what it needs to survive a reorganisation, as pure rules: the last
/// block it fully read, the hashes of the blocks just below and at it (contiguous, newest last), the
/// items it acted on in those blocks, and the orphans: items whose block was reorganised out and that
/// have not been seen again yet. An orphan is judged only once the listener has read the new chain up
/// to <see cref="ReconcileThrough"/> (the height the old chain was known to have: the cursor before the
/// fork plus the listener's confirmations): seen again by then, it is kept; not seen, it is gone
/// (<see cref="DueOrphans"/>). Immutable: every step returns a new cursor.
/// </summary>
public sealed record ListenerCursor
{
    /// <summary>A cursor that has read nothing: the next block is <paramref name="block"/> + 1.</summary>
    public static ListenerCursor At(long block) => new() { Block = block };

    /// <summary>The last block fully read.</summary>
    public long Block { get; init; }

    /// <summary>Hashes of blocks <see cref="OldestHashed"/>..<see cref="Block"/>, oldest first (may be empty).</summary>
    public IReadOnlyList<Hash32> Hashes { get; init; } = [];

    /// <summary>Items acted on in the blocks whose hashes are kept.</summary>
    public IReadOnlyList<SeenLog> Seen { get; init; } = [];

    /// <summary>Items whose block was reorganised out, not seen again yet.</summary>
    public IReadOnlyList<SeenLog> Orphans { get; init; } = [];

    /// <summary>Orphans are judged once <see cref="Block"/> reaches this height (null: no orphan waits).</summary>
    public long? ReconcileThrough { get; init; }

    /// <summary>The oldest block whose hash is kept (<see cref="Block"/> + 1 when none is).</summary>
    public long OldestHashed => Block - Hashes.Count + 1;

    /// <summary>The kept hash of <paramref name="block"/>, or null when it is not kept.</summary>
    public Hash32? HashAt(long block) => block >= OldestHashed && block <= Block ? Hashes[(int)(block - OldestHashed)] : null;

    /// <summary>
    /// Where this cursor and the chain part: the highest kept block whose hash the chain still has
    /// (<see cref="Block"/> when nothing changed). Binary search over the kept hashes, since a block that
    /// matches implies all below it match (each hash commits to its parent): at most log2(kept) + 1 reads.
    /// With no hash kept (a new or an older cursor) there is nothing to compare, and nothing is assumed moved.
    /// </summary>
    /// <param name="chainHashAt">The chain's hash at a height (null: the chain is not that high now).</param>
    /// <exception cref="ReorgTooDeepException">No kept hash is on the chain any more.</exception>
    public async Task<long> FindForkAsync(Func<long, Task<Hash32?>> chainHashAt)
    {
        ArgumentNullException.ThrowIfNull(chainHashAt);
        if (Hashes.Count == 0 || await chainHashAt(Block).ConfigureAwait(false) == Hashes[^1])
        {
            return Block;
        }

        if (await chainHashAt(OldestHashed).ConfigureAwait(false) != Hashes[0])
        {
            throw new ReorgTooDeepException(Block, OldestHashed, Hashes.Count);
        }

        // Invariant: lo matches, hi does not.
        var lo = OldestHashed;
        var hi = Block;
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            if (await chainHashAt(mid).ConfigureAwait(false) == HashAt(mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>
    /// Goes back to <paramref name="fork"/> (the last block still on the chain): hashes above it are
    /// dropped, items seen above it become orphans, and they are judged once the new chain is read up to
    /// the height this cursor had reached plus <paramref name="grace"/> blocks (the confirmations the
    /// listener stayed behind: the old chain had those blocks too, and a dropped transaction mined again
    /// there has reappeared within the reorganised range).
    /// </summary>
    public ListenerCursor RewindTo(long fork, int grace = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(grace);
        if (fork >= Block)
        {
            return this;
        }

        var orphans = Orphans.Concat(Seen.Where(s => s.Block > fork)).DistinctBy(s => s.Id).ToList();
        return this with
        {
            Block = fork,
            Hashes = Hashes.Take((int)Math.Max(0, fork - OldestHashed + 1)).ToList(),
            Seen = Seen.Where(s => s.Block <= fork).ToList(),
            Orphans = orphans,
            ReconcileThrough = orphans.Count == 0 ? ReconcileThrough : Math.Max(ReconcileThrough ?? long.MinValue, Block + grace),
        };
    }

    /// <summary>
    /// Records blocks read up to <paramref name="to"/>: <paramref name="tailHashes"/> are the hashes of the
    /// last blocks of the range (ending at <paramref name="to"/>), <paramref name="seen"/> the items acted on
    /// in it. An orphan seen again leaves the orphans. At most <paramref name="keep"/> hashes are kept.
    /// </summary>
    /// <exception cref="ArgumentException">The range does not start right after this cursor.</exception>
    public ListenerCursor Advance(long to, IReadOnlyList<Hash32> tailHashes, IReadOnlyCollection<SeenLog> seen, int keep)
    {
        ArgumentNullException.ThrowIfNull(tailHashes);
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        if (to < Block || tailHashes.Count > to - Block)
        {
            throw new ArgumentException($"blocks {to - tailHashes.Count + 1}..{to} do not follow the cursor at {Block}", nameof(tailHashes));
        }

        // Kept hashes stay contiguous: the old ones join the new tail only when no block lies between.
        var tailFrom = to - tailHashes.Count + 1;
        var hashes = tailFrom == Block + 1 ? Hashes.Concat(tailHashes).ToList() : tailHashes.ToList();
        if (hashes.Count > keep)
        {
            hashes.RemoveRange(0, hashes.Count - keep);
        }

        var oldest = to - hashes.Count + 1;
        var seenIds = seen.Select(s => s.Id).ToHashSet();
        var orphans = Orphans.Where(o => !seenIds.Contains(o.Id)).ToList();
        return this with
        {
            Block = to,
            Hashes = hashes,
            Seen = Seen.Where(s => !seenIds.Contains(s.Id)).Concat(seen).Where(s => s.Block >= oldest).ToList(),
            Orphans = orphans,
            ReconcileThrough = orphans.Count == 0 ? null : ReconcileThrough,
        };
    }

    /// <summary>The orphans to give up now: the new chain has been read up to the old height and they did not reappear.</summary>
    public IReadOnlyList<SeenLog> DueOrphans() => ReconcileThrough is { } through && Block >= through ? Orphans : [];

    /// <summary>Forgets orphans once they were given up.</summary>
    public ListenerCursor WithoutOrphans(IReadOnlyCollection<SeenLog> given)
    {
        ArgumentNullException.ThrowIfNull(given);
        var ids = given.Select(g => g.Id).ToHashSet();
        var orphans = Orphans.Where(o => !ids.Contains(o.Id)).ToList();
        return this with { Orphans = orphans, ReconcileThrough = orphans.Count == 0 ? null : ReconcileThrough };
    }

    /// <summary>
    /// Made consistent with a block number set from outside (an operator moving the cursor back to read
    /// again): hashes and items above it are dropped, and hashes are kept only when they still end at it.
    /// </summary>
    public ListenerCursor MovedTo(long block)
    {
        if (block == Block)
        {
            return this;
        }

        return this with
        {
            Block = block,
            Hashes = block < Block && block >= OldestHashed ? Hashes.Take((int)(block - OldestHashed + 1)).ToList() : [],
            Seen = Seen.Where(s => s.Block <= block).ToList(),
        };
    }
}
