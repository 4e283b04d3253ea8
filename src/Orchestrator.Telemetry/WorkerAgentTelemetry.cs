using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The worker agent's spans and instruments (ActivitySource and Meter "Orchestrator.Worker"), e.g.
/// <c>dotnet-counters monitor -n orchestrator-worker --counters Orchestrator.Worker</c>.
/// </summary>
public static class WorkerAgentTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Worker";

    /// <summary>
    /// Spans of the agent's work: the session, and per replicate run, contribute, reveal and upload,
    /// each in its task's trace (<see cref="TaskTrace.Start"/>), so its gRPC calls join the task's trace.
    /// </summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The agent's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.worker.sessions</c>: sessions that reached Welcome.</summary>
    public static readonly Counter<long> Sessions = Meter.CreateCounter<long>("orchestrator.worker.sessions", "{session}", "Sessions opened (Welcome received)");

    /// <summary>Instrument <c>orchestrator.worker.executions</c>: app runs by outcome (tag <c>outcome</c>: completed, failed, timed_out).</summary>
    public static readonly Counter<long> Executions = Meter.CreateCounter<long>("orchestrator.worker.executions", "{run}", "App runs by outcome");

    /// <summary>Instrument <c>orchestrator.worker.execution_duration</c>: how long app runs took.</summary>
    public static readonly Histogram<double> ExecutionDuration = Meter.CreateHistogram(
        "orchestrator.worker.execution_duration", "s", "App run time", advice: LatencyBuckets.Advice);

    /// <summary>Instrument <c>orchestrator.worker.calls</c>: contributions, reveals and give-backs answered (tags <c>call</c>, <c>accepted</c>).</summary>
    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("orchestrator.worker.calls", "{call}", "Calls answered by the server, by call and outcome");

    /// <summary>Instrument <c>orchestrator.worker.journal_hits</c>: replicates contributed from the journal without a second run.</summary>
    public static readonly Counter<long> JournalHits = Meter.CreateCounter<long>("orchestrator.worker.journal_hits", "{replicate}", "Replicates contributed from the journal without a second run");
}
