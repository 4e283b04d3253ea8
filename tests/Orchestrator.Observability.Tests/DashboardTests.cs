using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orchestrator.Observability.Tests;

/// <summary>The Grafana dashboard (helm/orchestrator/dashboards/orchestrator.json) queries only series the code's instruments produce.</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public void Every_panel_queries_metrics_the_code_emits()
    {
        var series = PrometheusNames.Series().ToHashSet(StringComparer.Ordinal);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("helm", "orchestrator", "dashboards", "orchestrator.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(panels.Count >= 12, $"only {panels.Count} panels");

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var expressions = panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList();
            Assert.True(expressions.Count > 0, $"panel '{title}' has no query");
            foreach (var expression in expressions)
            {
                var names = MetricName().Matches(expression).Select(m => m.Value).ToList();
                Assert.True(names.Count > 0, $"panel '{title}' queries no orchestrator metric: {expression}");
                foreach (var name in names)
                {
                    Assert.True(series.Contains(name), $"panel '{title}' queries {name}, which no instrument produces (known: {string.Join(", ", series.Order())})");
                    used.Add(name);
                }
            }
        }

        // The metrics the issue names each have a panel.
        string[] named =
        [
            "orchestrator_tasks", "orchestrator_dispatch_queue_depth", "orchestrator_task_time_to_first_assignment_seconds_bucket",
            "orchestrator_task_time_to_final_seconds_bucket", "orchestrator_consensus_outcomes_total", "orchestrator_workers_connected",
            "orchestrator_workers_lost_total", "orchestrator_attestation_verdicts_total", "orchestrator_bridge_pending_transactions",
            "orchestrator_chain_lag_blocks",
        ];
        Assert.All(named, n => Assert.Contains(n, used));
        Assert.Contains(used, n => n.StartsWith("orchestrator_bridge_gas_used", StringComparison.Ordinal));
    }

    [GeneratedRegex("orchestrator_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
