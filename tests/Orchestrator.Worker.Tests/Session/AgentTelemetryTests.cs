using System.Diagnostics;
using OpenTelemetry.Trace;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>The agent's spans leave the process, in the task's trace, and its calls carry that trace to the server.</summary>
public sealed class AgentTelemetryTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly string[] TaskSpans = ["worker.run", "worker.contribute", "worker.reveal", "worker.upload"];
    private readonly AgentHarness _agent = new();

    [Fact]
    public async Task The_agents_spans_reach_the_exporter_in_the_tasks_trace_and_the_upload_carries_that_trace_to_the_server()
    {
        var task = AgentHarness.Assignment(4242);
        var traceId = TaskTrace.TraceIdOf(Hash32.Parse(task.TaskId));
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            await s.AnswerAsync(contribution, revealNow: true);
            var reveal = await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal);
            await s.AnswerAsync(reveal);
            await s.HoldAsync();
        });

        // The configured OTLP exporter points at a closed loopback port: export fails quietly, the agent works on.
        var spans = new SpanSink();
        var options = _agent.Options(pool.Url, o => o.Telemetry.OtlpEndpoint = "http://127.0.0.1:9");
        var run = _agent.RunAsync(options, tracing => tracing.AddInMemoryExporter(spans));
        await Eventually.UntilAsync("the task's four spans exported", () => TaskSpans.All(name => spans.Snapshot().Any(a => a.DisplayName == name && a.TraceId.ToHexString() == traceId)), Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        var exported = spans.Snapshot();
        Assert.All(TaskSpans, name => Assert.Equal(traceId, exported.Single(a => a.DisplayName == name && a.GetTagItem(TelemetryTags.TaskId) as string == task.TaskId).TraceId.ToHexString()));
        Assert.Contains(exported, a => a.DisplayName == "worker.session");
        var upload = exported.Single(a => a.DisplayName == "worker.upload" && a.TraceId.ToHexString() == traceId);
        Assert.Equal(ActivityKind.Client, upload.Kind);

        // The server saw the upload in the task's trace, as a child of the agent's upload span (or of the HTTP span under it).
        var traceParent = Assert.IsType<string>(pool.UploadTraceParents[task.TaskId]);
        Assert.StartsWith($"00-{traceId}-", traceParent, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_endpoint_nothing_is_exported_and_a_malformed_endpoint_is_refused_by_name()
    {
        Assert.Null(AgentTelemetry.Start(new WorkerTelemetryOptions(), _agent.Identity.Address));
        Assert.Null(AgentTelemetry.Start(new WorkerTelemetryOptions { OtlpEndpoint = " " }, _agent.Identity.Address));

        var bad = _agent.Options("http://127.0.0.1:1");
        bad.Telemetry.OtlpEndpoint = "otel-collector:4317";
        Assert.Contains(WorkerOptionsValidator.Check(bad), e => e.StartsWith("OrchestratorWorker:Telemetry:OtlpEndpoint must be an absolute http", StringComparison.Ordinal));
    }

    public void Dispose() => _agent.Dispose();

    /// <summary>An in-memory exporter's collection that the exporting threads and the test read safely.</summary>
    private sealed class SpanSink : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count { get { lock (_items) return _items.Count; } }

        public bool IsReadOnly => false;

        public IReadOnlyList<Activity> Snapshot() { lock (_items) return [.. _items]; }

        public void Add(Activity item) { lock (_items) _items.Add(item); }

        public void Clear() { lock (_items) _items.Clear(); }

        public bool Contains(Activity item) { lock (_items) return _items.Contains(item); }

        public void CopyTo(Activity[] array, int arrayIndex) { lock (_items) _items.CopyTo(array, arrayIndex); }

        public bool Remove(Activity item) { lock (_items) return _items.Remove(item); }

        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
