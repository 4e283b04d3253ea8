using Microsoft.Extensions.Time.Testing;
using Orchestrator.Grains.Bus;

namespace Orchestrator.Grains.Tests.Bus;

/// <summary>The outbox's publish timeout: never early, late by at most an eighth, one timer per slot.</summary>
public sealed class SharedTimeoutTests
{
    [Fact]
    public void A_token_fires_no_sooner_than_its_timeout_and_at_most_an_eighth_later()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(130));
        var timeouts = new SharedTimeout(time);
        var token = timeouts.After(TimeSpan.FromSeconds(8));

        time.Advance(TimeSpan.FromSeconds(8) - TimeSpan.FromTicks(1));
        Assert.False(token.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void Callers_in_one_slot_share_a_token_and_the_next_slot_gets_its_own()
    {
        // Slots of 1 s (8 s / 8): at 0.1 s the deadline 8.1 s falls in the slot ending at 9 s.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(100));
        var timeouts = new SharedTimeout(time);
        var first = timeouts.After(TimeSpan.FromSeconds(8));
        time.Advance(TimeSpan.FromMilliseconds(500));
        var sameSlot = timeouts.After(TimeSpan.FromSeconds(8));
        Assert.Equal(first, sameSlot);

        time.Advance(TimeSpan.FromMilliseconds(600));
        var nextSlot = timeouts.After(TimeSpan.FromSeconds(8));
        Assert.NotEqual(first, nextSlot);

        // The first slot fires on its own; the later caller keeps its full timeout.
        time.Advance(TimeSpan.FromMilliseconds(7_800));
        Assert.True(first.IsCancellationRequested);
        Assert.False(nextSlot.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(nextSlot.IsCancellationRequested);
    }
}
