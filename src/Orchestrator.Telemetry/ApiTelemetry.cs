using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The gRPC services' spans and instruments (ActivitySource and Meter "Orchestrator.Api"); requests themselves are traced by ASP.NET Core's instrumentation.</summary>
public static class ApiTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Api";

    /// <summary>Spans inside the services (e.g. one per work item pushed on a worker stream, in the task's trace).</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The API's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.api.worker_streams</c>: open worker work streams (add 1 on open, -1 on close).</summary>
    public static readonly UpDownCounter<long> WorkerStreams = Meter.CreateUpDownCounter<long>(
        "orchestrator.api.worker_streams", "{stream}", "Open worker streams");
}
