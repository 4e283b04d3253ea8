namespace Orchestrator.Grains.Bus;

/// <summary>
/// Cancellation tokens that fire after a timeout, shared by every caller whose deadline falls in the same slot.
/// A <see cref="CancellationTokenSource"/> with its own timeout per call arms and disarms a runtime timer each time,
/// under the timer queue's lock; with every grain publishing its outbox, that lock was among the silo's hottest
/// (bench/Orchestrator.Bench --profile). Here one timer serves a whole slot: a deadline is kept, late by at most a
/// slot (an eighth of the timeout), never early.
/// </summary>
internal sealed class SharedTimeout(TimeProvider time)
{
    private Slot? _current;

    /// <summary>A token cancelled no sooner than <paramref name="timeout"/> from now, and at most an eighth of it later.</summary>
    public CancellationToken After(TimeSpan timeout)
    {
        var slotTicks = Math.Max(TimeSpan.TicksPerMillisecond, timeout.Ticks / 8);
        var now = time.GetUtcNow().UtcTicks;
        // The slot's end is the first slot boundary at or after the deadline; every caller in the slot shares it.
        var end = ((now + timeout.Ticks + slotTicks - 1) / slotTicks) * slotTicks;
        var current = Volatile.Read(ref _current);
        if (current is not null && current.End == end)
        {
            return current.Source.Token;
        }

        // A fired source is never disposed: its timer is gone once it fired, and a token may still be in use.
        var source = new CancellationTokenSource(TimeSpan.FromTicks(end - now), time);
        var slot = new Slot(end, source);
        var raced = Interlocked.CompareExchange(ref _current, slot, current);
        if (raced != current && raced is not null && raced.End == end)
        {
            source.Dispose(); // another caller opened this slot first: share its timer
            return raced.Source.Token;
        }

        return source.Token;
    }

    private sealed record Slot(long End, CancellationTokenSource Source);
}
