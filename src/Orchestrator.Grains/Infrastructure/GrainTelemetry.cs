using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Grains.Infrastructure;

/// <summary>The grains' activity source and meter, named Orchestrator.Grains.</summary>
public static class GrainTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Grains";

    /// <summary>Spans of task and deal steps.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>Counters and histograms.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Tasks reaching a final status, tagged by status.</summary>
    public static readonly Counter<long> TasksFinal = Meter.CreateCounter<long>("orchestrator.tasks.final", description: "Tasks that reached COMPLETED or FAILED");

    /// <summary>Consensus outcomes, tagged by outcome (reached, reopened, tee).</summary>
    public static readonly Counter<long> ConsensusOutcomes = Meter.CreateCounter<long>("orchestrator.consensus.outcomes", description: "Consensus rounds by outcome");

    /// <summary>Contributions accepted and refused, tagged by result.</summary>
    public static readonly Counter<long> Contributions = Meter.CreateCounter<long>("orchestrator.contributions", description: "Contributions by result");

    /// <summary>Workers declared lost.</summary>
    public static readonly Counter<long> WorkersLost = Meter.CreateCounter<long>("orchestrator.workers.lost", description: "Workers declared lost");

    /// <summary>Time from deal start to a task's first assignment.</summary>
    public static readonly Histogram<double> TimeToAssign = Meter.CreateHistogram<double>("orchestrator.task.time_to_first_assignment", "s");

    /// <summary>Time from deal start to a task's final status.</summary>
    public static readonly Histogram<double> TimeToFinal = Meter.CreateHistogram<double>("orchestrator.task.time_to_final", "s");
}
