using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Workers;

/// <summary>
/// Sessions opened per worker in a fixed window (a minute): the count and the window's start per worker, nothing
/// more. A framework fixed-window limiter per worker (the limiter, its options, queue and lazy holder, a few hundred
/// bytes) lived for a window and more after each session opened; a fleet reconnecting after a silo restart made
/// one per worker at once. Windows start at a worker's first session in them, as a limiter created on demand did.
/// Windows that ended are swept once per window. Thread-safe.
/// </summary>
public sealed class SessionWindows(int limit, TimeSpan window, TimeProvider time)
{
    private readonly Dictionary<Address, Window> _windows = [];
    private readonly Lock _lock = new();
    private long _nextSweep;

    /// <summary>Counts a session for <paramref name="worker"/>; null when admitted, else how long until its window ends.</summary>
    public TimeSpan? TryAdmit(Address worker)
    {
        var now = time.GetUtcNow().UtcTicks;
        lock (_lock)
        {
            SweepIfDue(now);
            if (!_windows.TryGetValue(worker, out var current) || now - current.Start >= window.Ticks)
            {
                current = new Window(now, 0);
            }

            if (current.Count >= limit)
            {
                return TimeSpan.FromTicks(current.Start + window.Ticks - now);
            }

            _windows[worker] = current with { Count = current.Count + 1 };
            return null;
        }
    }

    /// <summary>How many workers have a window open (tests).</summary>
    public int Open
    {
        get
        {
            lock (_lock)
            {
                return _windows.Count;
            }
        }
    }

    private void SweepIfDue(long now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + window.Ticks;
        foreach (var (worker, w) in _windows)
        {
            if (now - w.Start >= window.Ticks)
            {
                _windows.Remove(worker); // removing while enumerating is allowed for Dictionary since .NET Core 3.0
            }
        }
    }

    private readonly record struct Window(long Start, int Count);
}
