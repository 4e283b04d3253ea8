using Orleans.Concurrency;
using Orchestrator.Abstractions.Messages;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// The session that holds a worker's stream, as its worker grain sees it: the grain pushes commands
/// and signals instead of being polled, so an idle session costs one heartbeat call per interval.
/// The observer lives in the process serving the stream; what a push loses (a silo gone, an observer
/// not attached again yet) waits in the grain for the session's slow poll.
/// </summary>
[Alias("orch.IWorkerSessionObserver")]
public interface IWorkerSessionObserver : IGrainObserver
{
    /// <summary>Something changed for the session. One-way: grains never wait on sessions.</summary>
    [Alias("signal"), OneWay]
    Task SignalAsync(WorkerSignal signal);

    /// <summary>
    /// A command for the worker (a reveal request, a cancel), delivered at once. The grain does not
    /// wait on it in its turn; a failed delivery goes back to the grain's queue for the next poll.
    /// </summary>
    [Alias("command")]
    Task CommandAsync(WorkerCommand command);
}
