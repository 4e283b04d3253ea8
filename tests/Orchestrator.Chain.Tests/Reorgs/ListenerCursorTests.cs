using Orchestrator.Chain.Reorgs;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Reorgs;

/// <summary>The listener's cursor rules against a chain held as a list of block hashes (one per height).</summary>
public sealed class ListenerCursorTests
{
    private static readonly Hash32 DealA = Id(0xA);
    private static readonly Hash32 DealB = Id(0xB);

    [Fact]
    public async Task An_unchanged_chain_has_no_fork_and_costs_one_read()
    {
        var chain = Chain(20, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 19, keep: 8);
        var reads = 0;
        Assert.Equal(19, await cursor.FindForkAsync(b => { reads++; return At(chain, b); }));
        Assert.Equal(1, reads);
        Assert.Equal(8, cursor.Hashes.Count);
        Assert.Equal(12, cursor.OldestHashed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task The_fork_is_found_by_binary_search_over_the_kept_hashes(int depth)
    {
        var chain = Chain(20, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 19, keep: 8);
        var reorganised = Reorg(chain, depth);
        var reads = 0;
        Assert.Equal(19 - depth, await cursor.FindForkAsync(b => { reads++; return At(reorganised, b); }));
        Assert.InRange(reads, 2, 2 + (int)Math.Ceiling(Math.Log2(8)));
    }

    [Fact]
    public async Task A_chain_now_lower_than_the_cursor_counts_as_changed()
    {
        var chain = Chain(20, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 19, keep: 8);
        var reverted = Reorg(chain, 3).Take(18).ToList(); // reverted, then one block fewer mined
        Assert.Equal(16, await cursor.FindForkAsync(b => At(reverted, b)));
    }

    [Fact]
    public async Task A_fork_below_every_kept_hash_is_refused_with_the_depth_and_what_to_do()
    {
        var chain = Chain(20, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 19, keep: 4);
        var ex = await Assert.ThrowsAsync<ReorgTooDeepException>(() => cursor.FindForkAsync(b => At(Reorg(chain, 5), b)));
        Assert.Equal((19L, 16L, 4), (ex.Cursor, ex.OldestKept, ex.Kept));
        Assert.Contains("Orchestrator:Chain:ListenerHashHistory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_without_hashes_assumes_nothing_moved()
        => Assert.Equal(7, await ListenerCursor.At(7).FindForkAsync(_ => Task.FromResult<Hash32?>(null)));

    [Fact]
    public void A_deal_undone_and_seen_again_in_another_block_is_kept_and_one_never_seen_again_is_due_at_the_old_height()
    {
        var chain = Chain(20, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 15, keep: 8);
        cursor = cursor.Advance(17, Hashes(chain, 16, 17), [new SeenLog(DealA, 16), new SeenLog(DealB, 17)], 8);

        var rewound = cursor.RewindTo(15);
        Assert.Equal(15, rewound.Block);
        Assert.Equal(15, rewound.Hashes.Count + rewound.OldestHashed - 1);
        Assert.Equal([DealA, DealB], rewound.Orphans.Select(o => o.Id));
        Assert.Equal(17, rewound.ReconcileThrough);

        // The new chain: A reappears at 17 (another block); B does not. Nothing is due before height 17.
        var other = Reorg(chain, 4);
        var partway = rewound.Advance(16, Hashes(other, 16, 16), [], 8);
        Assert.Empty(partway.DueOrphans());
        var through = partway.Advance(17, Hashes(other, 17, 17), [new SeenLog(DealA, 17)], 8);
        Assert.Equal([DealB], through.DueOrphans().Select(o => o.Id));
        Assert.Contains(new SeenLog(DealA, 17), through.Seen);

        var settled = through.WithoutOrphans(through.DueOrphans());
        Assert.Empty(settled.Orphans);
        Assert.Null(settled.ReconcileThrough);

        // With the listener's confirmations as grace, a deal mined again just above the old cursor is still in time.
        var graced = cursor.RewindTo(15, grace: 2);
        Assert.Equal(19, graced.ReconcileThrough);
        Assert.Throws<ArgumentOutOfRangeException>(() => cursor.RewindTo(15, grace: -1));
    }

    [Fact]
    public void A_second_reorg_before_the_orphans_are_judged_keeps_them_and_the_highest_height()
    {
        var chain = Chain(30, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 20, keep: 16);
        cursor = cursor.Advance(21, Hashes(chain, 21, 21), [new SeenLog(DealA, 21)], 16).RewindTo(19);
        var again = cursor.Advance(20, Hashes(Reorg(chain, 10), 20, 20), [new SeenLog(DealB, 20)], 16).RewindTo(18);
        Assert.Equal([DealA.ToString(), DealB.ToString()], again.Orphans.Select(o => o.Id.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(21, again.ReconcileThrough);
    }

    [Fact]
    public void Kept_hashes_stay_contiguous_and_bounded_and_a_range_must_follow_the_cursor()
    {
        var chain = Chain(300, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 99, keep: 8);
        cursor = cursor.Advance(299, Hashes(chain, 292, 299), [new SeenLog(DealA, 150)], 8); // a long range: only its tail is hashed
        Assert.Equal(292, cursor.OldestHashed);
        Assert.Equal(chain[292], cursor.HashAt(292));
        Assert.Empty(cursor.Seen); // below the kept hashes, a reorg cannot reach it without stopping the listener
        Assert.Throws<ArgumentException>(() => cursor.Advance(300, Hashes(chain, 290, 299), [], 8));
    }

    [Fact]
    public void A_block_number_moved_back_from_outside_trims_the_history_to_it()
    {
        var chain = Chain(20, fork: 'a');
        var cursor = Read(ListenerCursor.At(-1), chain, 0, 19, keep: 8) with { Seen = [new SeenLog(DealA, 18)] };
        var moved = cursor.MovedTo(15);
        Assert.Equal(15, moved.Block);
        Assert.Equal(chain[15], moved.HashAt(15));
        Assert.Empty(moved.Seen);
        Assert.Empty(cursor.MovedTo(-1).Hashes);
    }

    private static ListenerCursor Read(ListenerCursor cursor, List<Hash32> chain, long from, long to, int keep)
        => cursor.Advance(to, Hashes(chain, Math.Max(from, to - keep + 1), to), [], keep);

    private static List<Hash32> Hashes(List<Hash32> chain, long from, long to) => chain.Skip((int)from).Take((int)(to - from + 1)).ToList();

    private static Task<Hash32?> At(List<Hash32> chain, long block) => Task.FromResult<Hash32?>(block >= 0 && block < chain.Count ? chain[(int)block] : null);

    private static List<Hash32> Chain(int length, char fork) => Enumerable.Range(0, length).Select(i => new Hash32(Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes($"{fork}{i}")))).ToList();

    private static List<Hash32> Reorg(List<Hash32> chain, int depth)
    {
        var other = Chain(chain.Count, fork: 'b');
        return [.. chain.Take(chain.Count - depth), .. other.Skip(chain.Count - depth)];
    }

    private static Hash32 Id(int b)
    {
        var bytes = new byte[32];
        bytes[31] = (byte)b;
        return new Hash32(bytes);
    }
}
