using OpenTelemetry.Metrics;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Workers;
using Orchestrator.Simulation;
using Orchestrator.Telemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>The instruments the issue names are emitted by a real silo running a deal, next to Orleans' and the runtime's.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task A_deal_emits_the_named_metrics_with_their_tags()
    {
        // The simulated workers stop when the deal is done; with a short heartbeat timeout their
        // grains then declare them lost, so the lost counter moves too.
        await using var host = await TelemetryHost.StartAsync("--Orchestrator:Scheduling:HeartbeatTimeout=00:00:01");
        var summary = await new DemoRunner(host.Grains).RunAsync(new DemoSettings(Tasks: 12, Workers: 4, Trust: 3, Faulty: 1, Lost: 0, Tee: false, Timeout: TimeSpan.FromSeconds(90)), null, CancellationToken.None);
        Assert.True(summary.AllFinal, $"the deal did not finish: {summary.Completed} completed, {summary.Failed} failed of {summary.Tasks}");
        await Eventually.UntilAsync(
            "the stopped workers to be declared lost",
            async () => (await Task.WhenAll(summary.Workers.Select(w => host.Grains.Worker(w.Worker).GetViewAsync()))).All(v => v.State == WorkerState.Lost),
            TimeSpan.FromSeconds(30));

        host.Flush();

        Metric[] metrics;
        lock (host.Metrics)
        {
            metrics = [.. host.Metrics];
        }

        var byName = metrics.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.ToList());
        string[] named =
        [
            "orchestrator.tasks", "orchestrator.tasks.final", "orchestrator.dispatch.queue_depth",
            "orchestrator.task.time_to_first_assignment", "orchestrator.task.time_to_final",
            "orchestrator.consensus.outcomes", "orchestrator.contributions", "orchestrator.workers.connected",
            "orchestrator.workers.lost", "orchestrator.workers.registrations", "orchestrator.deals.created",
            "orchestrator.outbox.published",
        ];
        var missing = named.Where(n => !byName.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, "not emitted: " + string.Join(", ", missing) + "; emitted: " + string.Join(", ", byName.Keys.Order()));

        Assert.Equal(summary.Tasks, Sum(byName["orchestrator.tasks.final"], TelemetryTags.Status, "completed") + Sum(byName["orchestrator.tasks.final"], TelemetryTags.Status, "failed"));
        Assert.Equal(summary.Workers.Count, Sum(byName["orchestrator.workers.lost"], null, null));
        Assert.Equal(0, Sum(byName["orchestrator.workers.connected"], null, null));
        Assert.True(Sum(byName["orchestrator.contributions"], TelemetryTags.Result, "accepted") >= 2 * summary.Completed);
        Assert.True(Sum(byName["orchestrator.consensus.outcomes"], TelemetryTags.Outcome, "reached") >= summary.Completed);
        Assert.Equal(summary.Completed, Sum(byName["orchestrator.tasks"], TelemetryTags.Status, "completed"));
        Assert.Equal(summary.Tasks, HistogramCount(byName["orchestrator.task.time_to_final"]));
        Assert.Contains(Points(byName["orchestrator.dispatch.queue_depth"]), p => Tag(p, TelemetryTags.Partition) is string key && key.Contains('/', StringComparison.Ordinal));

        // Orleans' own meter and the runtime's are in the same pipeline.
        Assert.Contains(metrics, m => m.MeterName == "Microsoft.Orleans");
        Assert.Contains(metrics, m => m.MeterName is "System.Runtime" or "OpenTelemetry.Instrumentation.Runtime");
    }

    [Fact]
    public async Task Tee_workers_attestation_verdicts_and_the_fast_path_are_counted()
    {
        await using var host = await TelemetryHost.StartAsync();
        var summary = await new DemoRunner(host.Grains).RunAsync(new DemoSettings(Tasks: 4, Workers: 2, Trust: 1, Faulty: 0, Lost: 0, Tee: true, Timeout: TimeSpan.FromSeconds(60)), null, CancellationToken.None);
        Assert.True(summary.AllFinal, $"the deal did not finish: {summary.Completed} completed, {summary.Failed} failed of {summary.Tasks}");
        host.Flush();
        List<Metric> verdicts, outcomes;
        lock (host.Metrics)
        {
            verdicts = host.Metrics.Where(m => m.Name == "orchestrator.attestation.verdicts").ToList();
            outcomes = host.Metrics.Where(m => m.Name == "orchestrator.consensus.outcomes").ToList();
        }

        Assert.NotEmpty(verdicts);
        var accepted = Points(verdicts.TakeLast(1)).Where(p => Equals(Tag(p, TelemetryTags.Verdict), "accepted") && Equals(Tag(p, TelemetryTags.Tee), "simulated")).Sum(p => p.GetSumLong());
        Assert.True(accepted >= summary.Workers.Count, $"{accepted} accepted verdicts for {summary.Workers.Count} TEE workers");
        Assert.Equal(summary.Tasks, Sum(outcomes, TelemetryTags.Outcome, "tee"));
    }

    private static List<MetricPoint> Points(IEnumerable<Metric> metrics)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in metrics)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                points.Add(point);
            }
        }

        return points;
    }

    private static object? Tag(MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name) return tag.Value;
        }

        return null;
    }

    /// <summary>The latest collection's value (cumulative temporality: the last export holds the totals).</summary>
    private static long Sum(List<Metric> exports, string? tag, string? value)
    {
        var last = exports[^1];
        long sum = 0;
        foreach (ref readonly var point in last.GetMetricPoints())
        {
            if (tag is null || Equals(Tag(point, tag), value))
            {
                sum += last.MetricType is MetricType.LongSum or MetricType.LongSumNonMonotonic ? point.GetSumLong() : point.GetGaugeLastValueLong();
            }
        }

        return sum;
    }

    private static long HistogramCount(List<Metric> exports)
    {
        long count = 0;
        foreach (ref readonly var point in exports[^1].GetMetricPoints())
        {
            count += point.GetHistogramCount();
        }

        return count;
    }
}
