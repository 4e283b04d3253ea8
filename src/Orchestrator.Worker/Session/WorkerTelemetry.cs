using System.Diagnostics.Metrics;

namespace Orchestrator.Worker.Session;

/// <summary>
/// The agent's metrics, meter <c>Orchestrator.Worker</c> (e.g. <c>dotnet-counters monitor -n
/// orchestrator-worker --counters Orchestrator.Worker</c>, or any OpenTelemetry meter listener).
/// </summary>
public static class WorkerTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Orchestrator.Worker";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Sessions that reached Welcome.</summary>
    internal static readonly Counter<long> Sessions = Meter.CreateCounter<long>("orchestrator.worker.sessions", description: "sessions opened (Welcome received)");

    /// <summary>App runs by outcome (completed, failed, timed_out).</summary>
    internal static readonly Counter<long> Executions = Meter.CreateCounter<long>("orchestrator.worker.executions", description: "app runs by outcome");

    /// <summary>How long app runs took.</summary>
    internal static readonly Histogram<double> ExecutionSeconds = Meter.CreateHistogram<double>("orchestrator.worker.execution.duration", unit: "s", description: "app run time");

    /// <summary>Calls answered by the server, by call and whether accepted.</summary>
    internal static readonly Counter<long> Calls = Meter.CreateCounter<long>("orchestrator.worker.calls", description: "contributions, reveals and give-backs answered, by call and outcome");

    /// <summary>Replicates contributed from the journal without running the app again.</summary>
    internal static readonly Counter<long> Resumed = Meter.CreateCounter<long>("orchestrator.worker.journal_hits", description: "replicates contributed from the journal without a second run");
}
