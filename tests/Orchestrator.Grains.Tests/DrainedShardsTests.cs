using Microsoft.Extensions.Time.Testing;
using Orchestrator.Grains.Dispatch;

namespace Orchestrator.Grains.Tests;

/// <summary>The router's memory of empty partitions, on a fake clock: no cluster, no sleeping.</summary>
public sealed class DrainedShardsTests
{
    private static readonly TimeSpan Memory = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new();

    private DrainedShards New(TimeSpan? memory = null) => new(shards: 4, memory ?? Memory, _time);

    [Fact]
    public void A_partition_a_take_left_empty_is_skipped_within_the_memory_and_asked_again_after_it()
    {
        var shards = New();
        Assert.False(shards.IsDrained("none-cpu", 2)); // never asked: never skipped

        shards.Drained(shards.BeforeTake("none-cpu", 2));
        Assert.True(shards.IsDrained("none-cpu", 2));
        Assert.False(shards.IsDrained("none-cpu", 1));
        Assert.False(shards.IsDrained("sgx-cpu", 2));

        _time.Advance(Memory - TimeSpan.FromMilliseconds(1));
        Assert.True(shards.IsDrained("none-cpu", 2));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(shards.IsDrained("none-cpu", 2)); // work queued through another silo is seen by now
    }

    [Fact]
    public void An_enqueue_through_this_silo_ends_the_skip_at_once()
    {
        var shards = New();
        shards.Drained(shards.BeforeTake("none-cpu", 0));
        shards.Drained(shards.BeforeTake("none-cpu", 3));

        shards.Enqueued("none-cpu", 0);

        Assert.False(shards.IsDrained("none-cpu", 0));
        Assert.True(shards.IsDrained("none-cpu", 3)); // other shards keep their marks

        shards.Drained(shards.BeforeTake("none-cpu", 0)); // a later take empties it again
        Assert.True(shards.IsDrained("none-cpu", 0));
    }

    [Fact]
    public void An_empty_reply_handled_after_an_enqueue_it_did_not_see_does_not_hide_the_enqueue()
    {
        var shards = New();
        var start = shards.BeforeTake("none-cpu", 1);
        // The partition answered the take, then took an enqueue; the enqueue's reply was handled first.
        shards.Enqueued("none-cpu", 1);
        shards.Drained(start);

        Assert.False(shards.IsDrained("none-cpu", 1));
    }

    [Fact]
    public void A_zero_memory_never_skips()
    {
        var shards = New(TimeSpan.Zero);
        shards.Drained(shards.BeforeTake("none-cpu", 0));

        Assert.False(shards.IsDrained("none-cpu", 0));
    }
}
