using System.Diagnostics;
using Orchestrator.Domain.Ids;
using Orchestrator.Simulation;
using Orchestrator.Telemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>One trace per task: every span about a task, in every grain it touches, carries the trace id derived from the task id.</summary>
public sealed class TaskTraceTests
{
    [Fact]
    public async Task A_tasks_spans_share_one_trace_across_the_grains_it_touches()
    {
        await using var host = await TelemetryHost.StartAsync();
        var summary = await new DemoRunner(host.Grains).RunAsync(new DemoSettings(Tasks: 4, Workers: 4, Trust: 3, Faulty: 0, Lost: 0, Tee: false, Timeout: TimeSpan.FromSeconds(60)), null, CancellationToken.None);
        Assert.True(summary.AllFinal, $"the deal did not finish: {summary.Completed} completed, {summary.Failed} failed of {summary.Tasks}");
        host.Flush();

        var taskId = ProtocolIds.TaskId(summary.DealId, 0);
        var traceId = TaskTrace.TraceIdOf(taskId);
        Activity[] spans;
        lock (host.Spans)
        {
            spans = host.Spans.Where(s => s.TraceId.ToHexString() == traceId).ToArray();
        }

        // The task grain's own steps: hand-outs to two workers, their contributions, the winners' reveals.
        var names = spans.Where(s => s.Source.Name == GrainsTelemetry.Name).Select(s => s.OperationName).ToList();
        Assert.True(names.Count(n => n == "task.assign") >= 2, "spans in the trace: " + string.Join(", ", names));
        Assert.True(names.Count(n => n == "task.contribute") >= 2, "spans in the trace: " + string.Join(", ", names));
        Assert.Contains("task.reveal", names);
        Assert.All(spans.Where(s => s.Source.Name == GrainsTelemetry.Name), s => Assert.Equal(taskId.ToString(), s.GetTagItem(TelemetryTags.TaskId)));

        // Orleans' propagation carries the trace into the other grains the task calls (its workers).
        var orleans = spans.Where(s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)).Select(s => s.DisplayName).ToList();
        Assert.Contains(orleans, n => n.Contains("IWorkerGrain", StringComparison.Ordinal));

        // Its deal hears it in a flight shared with other tasks' notices: the task's trace shows its wait, and the
        // flight, a span of its own that calls the deal, links back to that wait.
        var notices = spans.Where(s => s.OperationName == "task.deal-notice").Select(s => s.SpanId).ToHashSet();
        Assert.NotEmpty(notices);
        Activity flight;
        lock (host.Spans)
        {
            flight = host.Spans.First(s => s.OperationName == "deal.notices" && s.Links.Any(l => notices.Contains(l.Context.SpanId)));
            Assert.Contains(host.Spans, s => s.TraceId == flight.TraceId && s.ParentSpanId == flight.SpanId && s.DisplayName.Contains("IDealGrain", StringComparison.Ordinal));
        }

        Assert.Equal(summary.DealId.ToString(), flight.GetTagItem(TelemetryTags.DealId));

        // The task's spans link back to the callers' traces (the worker's poll), so both lead to each other.
        Assert.Contains(spans, s => s.OperationName == "task.assign" && s.Links.Any());

        // Another task of the same deal has its own trace.
        var other = TaskTrace.TraceIdOf(ProtocolIds.TaskId(summary.DealId, 1));
        Assert.NotEqual(traceId, other);
        lock (host.Spans)
        {
            Assert.Contains(host.Spans, s => s.TraceId.ToHexString() == other && s.OperationName == "task.contribute");
        }
    }
}
