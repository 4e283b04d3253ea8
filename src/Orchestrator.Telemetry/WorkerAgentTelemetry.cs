using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The worker agent's spans and instruments (ActivitySource and Meter "Orchestrator.Worker").</summary>
public static class WorkerAgentTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Worker";

    /// <summary>Spans of the agent's work, each in its task's trace (<see cref="TaskTrace.Start"/>), so its gRPC calls join the task's trace.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The agent's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.worker.executions</c>: tasks executed by result (tag <c>result</c>).</summary>
    public static readonly Counter<long> Executions = Meter.CreateCounter<long>(
        "orchestrator.worker.executions", "{task}", "Tasks executed by this agent, by result");

    /// <summary>Instrument <c>orchestrator.worker.execution_duration</c>.</summary>
    public static readonly Histogram<double> ExecutionDuration = Meter.CreateHistogram(
        "orchestrator.worker.execution_duration", "s", "Time to execute one task", advice: LatencyBuckets.Advice);
}
