using System.Threading.Tasks.Sources;

namespace Orchestrator.Api.Workers;

/// <summary>
/// The session pump's wake-up: an auto-reset signal with a single waiter (the pump). Signals that arrive
/// while the pump is busy collapse into one look. A wait with no timeout allocates nothing and arms no
/// timer, so a held session with no free slot costs no timer, no cancellation registration and no task
/// per wait; with 10,000 sessions a semaphore wait (its task node, its promise, its token registration)
/// was about 400 bytes per session. Closing ends a pending wait, which is how the pump is stopped.
/// </summary>
/// <param name="clock">
/// What times a timed wait. A session passes real time, as its semaphore's timed wait was before: the
/// pump's poll backoff is not on the session's injected clock, so tests with a fake clock keep their pace.
/// </param>
internal sealed class PumpSignal(TimeProvider clock) : IValueTaskSource<bool>
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private ITimer? _timer;
    private bool _set;
    private bool _waiting;
    private bool _closed;

    /// <summary>Whether a signal waits to be taken by the next wait.</summary>
    public bool IsSet
    {
        get
        {
            lock (_gate)
            {
                return _set;
            }
        }
    }

    /// <summary>Whether the signal was closed (the session is ending).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Wakes the waiter, or leaves the signal set for its next wait.</summary>
    public void Set()
    {
        lock (_gate)
        {
            if (_waiting)
            {
                Complete(true);
            }
            else
            {
                _set = !_closed;
            }
        }
    }

    /// <summary>Ends a pending wait (false) and every later one at once.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _set = false;
            if (_waiting)
            {
                Complete(false);
            }
        }
    }

    /// <summary>
    /// True when signalled (at once if a signal is waiting), false after <paramref name="timeout"/> or once
    /// closed. <see cref="Timeout.InfiniteTimeSpan"/> waits for a signal alone. One waiter at a time.
    /// </summary>
    public ValueTask<bool> WaitAsync(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return new ValueTask<bool>(true);
            }

            if (_closed || timeout == TimeSpan.Zero)
            {
                return new ValueTask<bool>(false);
            }

            _core.Reset();
            _waiting = true;
            var version = _core.Version;
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                _timer = clock.CreateTimer(_ => TimedOut(version), null, timeout, Timeout.InfiniteTimeSpan);
            }

            return new ValueTask<bool>(this, version);
        }
    }

    /// <summary>
    /// The wait's result; then the core is reset, because it otherwise keeps the waiter's continuation (the pump's whole
    /// frame) referenced after the wait ended, and a parked pump would stay in memory through its signal.
    /// </summary>
    bool IValueTaskSource<bool>.GetResult(short token)
    {
        lock (_gate)
        {
            var result = _core.GetResult(token);
            if (!_waiting)
            {
                _core.Reset();
            }

            return result;
        }
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private void TimedOut(short version)
    {
        lock (_gate)
        {
            if (_waiting && _core.Version == version)
            {
                Complete(false);
            }
        }
    }

    private void Complete(bool signalled)
    {
        _waiting = false;
        _timer?.Dispose();
        _timer = null;
        _core.SetResult(signalled);
    }
}
