using System.Net;
using System.Text.Json;
using Orchestrator.Host.Observability;
using Orchestrator.Host.Observability.Status;
using Orchestrator.Simulation;

namespace Orchestrator.Observability.Tests;

/// <summary>What a silo serves on its HTTP port: liveness, readiness with its reasons, the Prometheus scrape, the status data.</summary>
public sealed class EndpointTests
{
    [Fact]
    public async Task A_serving_silo_answers_health_metrics_and_status()
    {
        await using var silo = await WebSilo.StartAsync();
        using var http = new HttpClient { BaseAddress = silo.HttpBase };
        var summary = await new DemoRunner(silo.Grains).RunAsync(new DemoSettings(Tasks: 6, Workers: 3, Trust: 1, Faulty: 0, Lost: 0, Tee: false, Timeout: TimeSpan.FromSeconds(60)), null, CancellationToken.None);
        Assert.True(summary.AllFinal);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ObservabilityExtensions.LivenessPath)).StatusCode);
        var ready = await http.GetAsync(ObservabilityExtensions.ReadinessPath);
        var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.True(ready.StatusCode == HttpStatusCode.OK, report.ToString());
        Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("silo").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());

        var scrape = await http.GetStringAsync(new Host.Observability.TelemetryOptions().PrometheusPath);
        foreach (var name in new[] { "orchestrator_tasks_final_total", "orchestrator_tasks{", "orchestrator_task_time_to_final_seconds_bucket", "orchestrator_consensus_outcomes_total", "orchestrator_deals_created_total" })
        {
            Assert.Contains(name, scrape, StringComparison.Ordinal);
        }

        // Every orchestrator series in the scrape is named as PrometheusNames derives it from the instruments (the dashboard test relies on that rule).
        var known = PrometheusNames.Series().ToHashSet(StringComparer.Ordinal);
        var scraped = scrape.Split('\n').Where(l => l.StartsWith("orchestrator_", StringComparison.Ordinal)).Select(l => l.Split('{', ' ')[0]).Distinct().ToList();
        Assert.NotEmpty(scraped);
        Assert.All(scraped, s => Assert.True(known.Contains(s), $"{s} is scraped but not derived from any instrument: {string.Join(", ", known.Order())}"));

        var data = JsonDocument.Parse(await http.GetStringAsync(StatusPage.DataPath)).RootElement;
        var deal = data.GetProperty("deals").EnumerateArray().Single(d => d.GetProperty("dealId").GetString() == summary.DealId.ToString());
        Assert.Equal(6, deal.GetProperty("completed").GetInt32());
        Assert.Equal(3, data.GetProperty("workers").GetArrayLength());
        Assert.Single(data.GetProperty("silos").EnumerateArray());
        Assert.False(data.GetProperty("chain").GetProperty("configured").GetBoolean());
    }
}
