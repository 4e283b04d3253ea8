using System.Diagnostics;
using Orchestrator.Domain.Ids;
using Orchestrator.Simulation;
using Orchestrator.Telemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>On the RabbitMQ bus, a task's events leave in the task's own trace (MassTransit's instrumentation continues it).</summary>
public sealed class BusTraceTests
{
    [RabbitFact]
    public async Task A_tasks_events_are_published_in_its_trace()
    {
        RabbitBroker.EnsureStarted();
        await using var host = await TelemetryHost.StartAsync(
            "--Orchestrator:Bus=RabbitMq", "--Orchestrator:RabbitMq:Host=127.0.0.1",
            $"--Orchestrator:RabbitMq:QueuePrefix=obs-{Guid.NewGuid():n}");
        var summary = await new DemoRunner(host.Grains).RunAsync(new DemoSettings(Tasks: 3, Workers: 2, Trust: 1, Faulty: 0, Lost: 0, Tee: false, Timeout: TimeSpan.FromSeconds(60)), null, CancellationToken.None);
        Assert.True(summary.AllFinal);
        host.Flush();

        for (var index = 0; index < summary.Tasks; index++)
        {
            var traceId = TaskTrace.TraceIdOf(ProtocolIds.TaskId(summary.DealId, (ulong)index));
            Activity[] bus;
            lock (host.Spans)
            {
                bus = host.Spans.Where(s => s.Source.Name == "MassTransit" && s.TraceId.ToHexString() == traceId).ToArray();
            }

            Assert.True(bus.Any(s => s.Kind == ActivityKind.Producer), $"task {index}: no MassTransit publish span in its trace");
        }
    }
}
