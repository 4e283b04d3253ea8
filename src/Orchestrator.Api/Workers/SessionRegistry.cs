using System.Collections.Concurrent;

namespace Orchestrator.Api.Workers;

/// <summary>
/// The worker sessions this process serves: counted for operators, and woken together when new work
/// arrives through this process (a submitted deal), so idle workers need not wait for their slow poll.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<WorkerSession, byte> _sessions = new();

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

    internal void Add(WorkerSession session) => _sessions.TryAdd(session, 0);

    internal void Remove(WorkerSession session) => _sessions.TryRemove(session, out _);
}
