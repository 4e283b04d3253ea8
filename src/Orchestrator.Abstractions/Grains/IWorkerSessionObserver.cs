using Orleans.Concurrency;
using Orchestrator.Abstractions.Messages;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// The session that holds a worker's stream, as its worker grain sees it: the grain signals instead
/// of being polled, so an idle session costs one heartbeat call per interval. The observer lives in
/// the process serving the stream; a signal lost with a silo is covered by the session's slow poll.
/// </summary>
[Alias("orch.IWorkerSessionObserver")]
public interface IWorkerSessionObserver : IGrainObserver
{
    /// <summary>Something changed for the session. One-way: grains never wait on sessions.</summary>
    [Alias("signal"), OneWay]
    Task SignalAsync(WorkerSignal signal);
}
