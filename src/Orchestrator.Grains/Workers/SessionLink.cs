using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// A worker grain's line to the session holding its worker's stream: commands (reveal requests,
/// cancels) and signals are pushed to the session's observer at once; with no observer attached, or
/// when a push fails, commands wait here for the session's next poll, which stays only as the backstop.
/// Lives in the grain's activation and is used only from its turns.
/// </summary>
public sealed partial class SessionLink(Address worker, ILogger logger)
{
    private readonly List<WorkerCommand> _pending = [];
    private IWorkerSessionObserver? _observer;

    /// <summary>
    /// The session's observer (re-attached at every heartbeat, so one lost with a reactivation returns
    /// within an interval). Commands queued while no observer was attached (a session starting, a grain
    /// reactivated) are signalled for at once: a session with no free slot does not poll by itself.
    /// </summary>
    public void Attach(IWorkerSessionObserver observer)
    {
        _observer = observer;
        if (_pending.Count > 0)
        {
            Signal(WorkerSignal.CommandsReady);
        }
    }

    /// <summary>Forgets the observer (its stream closed, or the session ended).</summary>
    public void Detach() => _observer = null;

    /// <summary>A new session starts: what was waiting for the old one is dropped, and the old stream is told to end.</summary>
    public void Replace()
    {
        _pending.Clear();
        Signal(WorkerSignal.SessionEnded);
        _observer = null;
    }

    /// <summary>Ends the link with a last signal (revoked, lost).</summary>
    public void End(WorkerSignal signal)
    {
        Signal(signal);
        _observer = null;
    }

    /// <summary>Queues a command for the next poll without pushing it (a resumed session collects it at once).</summary>
    public void Queue(WorkerCommand command) => _pending.Add(command);

    /// <summary>Everything waiting, for a poll.</summary>
    public List<WorkerCommand> TakePending()
    {
        var commands = new List<WorkerCommand>(_pending);
        _pending.Clear();
        return commands;
    }

    /// <summary>Pushes a command to the session, or keeps it for the next poll (and asks for that poll).</summary>
    public void Send(WorkerCommand command)
    {
        if (_observer is { } observer)
        {
            _ = PushAsync(observer, command);
            return;
        }

        _pending.Add(command);
        Signal(WorkerSignal.CommandsReady);
    }

    /// <summary>Tells the session something changed (one-way; a signal lost is covered by its slow poll).</summary>
    public void Signal(WorkerSignal signal)
    {
        if (_observer is { } observer)
        {
            observer.SignalAsync(signal).Ignore();
        }
    }

    private async Task PushAsync(IWorkerSessionObserver observer, WorkerCommand command)
    {
        try
        {
            await observer.CommandAsync(command);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The session's process is gone or the observer is stale: keep it for the next poll.
            LogPushFailed(logger, worker, ex.Message);
            _pending.Add(command);
            if (ReferenceEquals(_observer, observer))
            {
                _observer = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker}: a command push to its session failed, kept for its next poll: {Reason}")]
    private static partial void LogPushFailed(ILogger logger, Address worker, string reason);
}
