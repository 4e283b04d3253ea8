using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The grains' spans and instruments (ActivitySource and Meter "Orchestrator.Grains"), recorded by the grains.</summary>
public static class GrainsTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Grains";

    /// <summary>Spans of deal and task steps (tasks in their own trace: <see cref="TaskTrace"/>).</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The grains' meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Task grains active on this silo, by status (tag <c>status</c>). Slots: one per task activation.</summary>
    public static readonly LiveGauge TasksByStatus = new(TelemetryTags.Status);

    /// <summary>Tasks waiting in each dispatch partition active on this silo (tag <c>partition</c>).</summary>
    public static readonly LiveGauge QueueDepth = new(TelemetryTags.Partition);

    /// <summary>Workers whose grain is active on this silo with a live session (tag <c>state</c>: connected, draining).</summary>
    public static readonly LiveGauge Workers = new(TelemetryTags.State);

    /// <summary>Instrument <c>orchestrator.tasks</c>: tasks by status (of the task grains active now).</summary>
    public static readonly ObservableUpDownCounter<long> Tasks = Meter.CreateObservableUpDownCounter(
        "orchestrator.tasks", TasksByStatus.Observe, "{task}", "Tasks whose grain is active, by status");

    /// <summary>Instrument <c>orchestrator.dispatch.queue_depth</c>: tasks waiting per dispatch partition.</summary>
    public static readonly ObservableGauge<long> DispatchQueueDepth = Meter.CreateObservableGauge(
        "orchestrator.dispatch.queue_depth", QueueDepth.Observe, "{task}", "Tasks waiting to be handed out, per dispatch partition");

    /// <summary>Instrument <c>orchestrator.workers.connected</c>: workers with a live session.</summary>
    public static readonly ObservableUpDownCounter<long> WorkersConnected = Meter.CreateObservableUpDownCounter(
        "orchestrator.workers.connected", Workers.Observe, "{worker}", "Workers with a live session, by state");

    /// <summary>Instrument <c>orchestrator.workers.registrations</c>: sessions opened (new and resumed).</summary>
    public static readonly Counter<long> WorkerRegistrations = Meter.CreateCounter<long>(
        "orchestrator.workers.registrations", "{session}", "Worker sessions opened (tag result: accepted or the refusal)");

    /// <summary>Instrument <c>orchestrator.workers.lost</c>: workers declared lost (heartbeats stopped).</summary>
    public static readonly Counter<long> WorkersLost = Meter.CreateCounter<long>(
        "orchestrator.workers.lost", "{worker}", "Workers declared lost");

    /// <summary>Instrument <c>orchestrator.deals.created</c>.</summary>
    public static readonly Counter<long> DealsCreated = Meter.CreateCounter<long>(
        "orchestrator.deals.created", "{deal}", "Deals accepted");

    /// <summary>Instrument <c>orchestrator.tasks.final</c>: tasks reaching COMPLETED or FAILED (tag <c>status</c>).</summary>
    public static readonly Counter<long> TasksFinal = Meter.CreateCounter<long>(
        "orchestrator.tasks.final", "{task}", "Tasks that reached COMPLETED or FAILED");

    /// <summary>Instrument <c>orchestrator.consensus.outcomes</c> (tag <c>outcome</c>: reached, reopened, tee).</summary>
    public static readonly Counter<long> ConsensusOutcomes = Meter.CreateCounter<long>(
        "orchestrator.consensus.outcomes", "{round}", "Consensus rounds by outcome");

    /// <summary>Instrument <c>orchestrator.contributions</c> (tag <c>result</c>: accepted or the refusal code).</summary>
    public static readonly Counter<long> Contributions = Meter.CreateCounter<long>(
        "orchestrator.contributions", "{contribution}", "Contributions by result");

    /// <summary>Instrument <c>orchestrator.outbox.published</c>: integration events handed to the bus (tag <c>event</c>).</summary>
    public static readonly Counter<long> OutboxPublished = Meter.CreateCounter<long>(
        "orchestrator.outbox.published", "{event}", "Integration events published from grain outboxes");

    /// <summary>Instrument <c>orchestrator.task.time_to_first_assignment</c>: from the task's creation (its deal's start) to its first hand-out.</summary>
    public static readonly Histogram<double> TimeToFirstAssignment = Meter.CreateHistogram(
        "orchestrator.task.time_to_first_assignment", "s", "From task creation to its first assignment", advice: LatencyBuckets.Advice);

    /// <summary>Instrument <c>orchestrator.task.time_to_final</c>: from the task's creation to COMPLETED or FAILED.</summary>
    public static readonly Histogram<double> TimeToFinal = Meter.CreateHistogram(
        "orchestrator.task.time_to_final", "s", "From task creation to its final status", advice: LatencyBuckets.Advice);

    /// <summary>
    /// Instrument <c>orchestrator.results.expired</c>: result archives and logs whose bytes the retention
    /// sweep deleted (tag <c>kind</c>: result or logs); their tombstones stay.
    /// </summary>
    public static readonly Counter<long> ResultsExpired = Meter.CreateCounter<long>(
        "orchestrator.results.expired", "{object}", "Result archives and logs deleted by the retention sweep");

    /// <summary>Instrument <c>orchestrator.results.expired_bytes</c>: the bytes those sweeps freed.</summary>
    public static readonly Counter<long> ResultsExpiredBytes = Meter.CreateCounter<long>(
        "orchestrator.results.expired_bytes", "By", "Bytes freed by the result retention sweep");
}
