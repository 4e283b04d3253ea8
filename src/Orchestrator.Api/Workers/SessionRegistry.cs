using System.Collections.Concurrent;

namespace Orchestrator.Api.Workers;

/// <summary>
/// The worker sessions this process serves: counted for operators, woken together when new work
/// arrives through this process (a submitted deal), so idle workers need not wait for their slow poll,
/// and watched by one idle-timeout sweep for all of them.
/// </summary>
/// <remarks>
/// One timer for every session instead of one per session: with 10,000 sessions a timer each was
/// 10,000 entries in the runtime's timer queue (and a timer object, its state and callback per
/// session) for a check that finds nothing almost always. The sweep walks the open sessions eight times
/// per idle timeout (a silent stream ends at most an eighth late) and costs a few microseconds per thousand.
/// </remarks>
public sealed class SessionRegistry : IDisposable
{
    private readonly ConcurrentDictionary<WorkerSession, byte> _sessions = new();
    private readonly Lock _gate = new();
    private ITimer? _watchdog;

    /// <summary>Open sessions.</summary>
    public int Count => _sessions.Count;

    /// <summary>Asks every session with free slots to look for work now.</summary>
    public void WakeAll()
    {
        foreach (var session in _sessions.Keys)
        {
            session.Wake();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _watchdog?.Dispose();
            _watchdog = null;
        }
    }

    /// <summary>
    /// Adds a session and, with the first one, starts the sweep on the sessions' clock (the session
    /// service's injected <see cref="TimeProvider"/>, so a test's fake clock drives it).
    /// </summary>
    internal void Add(WorkerSession session, TimeProvider time, TimeSpan sweepPeriod)
    {
        _sessions.TryAdd(session, 0);
        if (Volatile.Read(ref _watchdog) is null)
        {
            lock (_gate)
            {
                _watchdog ??= time.CreateTimer(_ => Sweep(), null, sweepPeriod, sweepPeriod);
            }
        }
    }

    internal void Remove(WorkerSession session) => _sessions.TryRemove(session, out _);

    private void Sweep()
    {
        foreach (var session in _sessions.Keys)
        {
            session.EndIfSilent();
        }
    }
}
