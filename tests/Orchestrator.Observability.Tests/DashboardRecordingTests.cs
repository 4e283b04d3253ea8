using System.Text.Json;
using System.Text.RegularExpressions;
using OpenTelemetry.Metrics;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Workers;
using Orchestrator.Simulation;
using Orchestrator.Telemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>
/// The Grafana dashboard charts what the code records: a real silo runs a TEE deal (attestation,
/// secret releases, consensus, lost workers) through its OpenTelemetry pipeline, and every query of
/// the dashboard on the silo's meters must name a series that run exported, as the Prometheus exporter names it.
/// </summary>
public sealed partial class DashboardRecordingTests
{
    /// <summary>The meters a silo without a chain records; the bridge's need a chain and a broker (see BridgeTraceTests).</summary>
    private static readonly string[] SiloMeters = [GrainsTelemetry.Name, AttestationTelemetry.Name, SecretsTelemetry.Name];

    [Fact]
    public async Task Every_dashboard_query_on_the_silo_meters_names_a_series_a_real_run_records()
    {
        var recorded = await RecordRunAsync();
        var series = recorded.SelectMany(SeriesOf).ToHashSet(StringComparer.Ordinal);
        var declared = PrometheusNames.Instruments().Where(i => SiloMeters.Contains(i.Meter.Name)).Select(i => i.Name.Replace('.', '_')).ToList();

        var queried = DashboardMetricNames();
        var onSiloMeters = queried.Where(q => declared.Any(d => q.StartsWith(d, StringComparison.Ordinal))).ToList();
        Assert.Contains("orchestrator_secrets_releases_total", onSiloMeters);
        var missing = onSiloMeters.Where(q => !series.Contains(q)).ToList();
        Assert.True(missing.Count == 0,
            "the dashboard queries series no code path recorded in a real run: " + string.Join(", ", missing) + "; recorded: " + string.Join(", ", series.Order()));
    }

    private static async Task<List<Metric>> RecordRunAsync()
    {
        // The simulated workers stop when the deal is done; a short heartbeat timeout then declares them lost.
        await using var host = await TelemetryHost.StartAsync("--Orchestrator:Scheduling:HeartbeatTimeout=00:00:01");
        var summary = await new DemoRunner(host.Grains).RunAsync(
            new DemoSettings(Tasks: 6, Workers: 2, Trust: 1, Faulty: 0, Lost: 0, Tee: true, Timeout: TimeSpan.FromSeconds(90)), null, CancellationToken.None);
        Assert.True(summary.AllFinal, $"the deal did not finish: {summary.Completed} completed, {summary.Failed} failed of {summary.Tasks}");
        await Eventually.UntilAsync(
            "the stopped workers to be declared lost",
            async () => (await Task.WhenAll(summary.Workers.Select(w => host.Grains.Worker(w.Worker).GetViewAsync()))).All(v => v.State == WorkerState.Lost),
            TimeSpan.FromSeconds(30));

        host.Flush();
        lock (host.Metrics)
        {
            return [.. host.Metrics.Where(m => SiloMeters.Contains(m.MeterName))];
        }
    }

    /// <summary>The series the Prometheus exporter makes of one exported metric (unit appended, _total for counters, _bucket for histograms).</summary>
    private static IEnumerable<string> SeriesOf(Metric metric)
    {
        var name = PrometheusNames.Base(metric.Name, metric.Unit);
        return metric.MetricType switch
        {
            MetricType.Histogram or MetricType.ExponentialHistogram => [name + "_bucket", name + "_sum", name + "_count"],
            MetricType.LongSum or MetricType.DoubleSum => [name + "_total"],
            _ => [name],
        };
    }

    private static List<string> DashboardMetricNames()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("helm", "orchestrator", "dashboards", "orchestrator.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricName().Matches(t.GetProperty("expr").GetString()!).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    [GeneratedRegex("orchestrator_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
