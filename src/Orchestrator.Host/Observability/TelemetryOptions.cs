using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Host.Observability;

/// <summary>How telemetry leaves the process.</summary>
public enum OtlpProtocol
{
    /// <summary>OTLP over gRPC (port 4317 by convention).</summary>
    Grpc = 0,

    /// <summary>OTLP over HTTP with protobuf bodies (port 4318 by convention).</summary>
    HttpProtobuf = 1,
}

/// <summary>
/// Exporters and sampling (configuration section "Orchestrator:Telemetry"). The embedded default
/// exports nothing over the network: OTLP is off until an endpoint is set; the Prometheus scrape
/// endpoint is served wherever the host serves HTTP.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Telemetry";

    /// <summary>The service name in every signal's resource (service.name).</summary>
    [Required]
    public string ServiceName { get; set; } = Telemetry.OrchestratorTelemetry.ServiceName;

    /// <summary>This instance's name (service.instance.id); defaults to the machine (pod) name.</summary>
    public string? InstanceId { get; set; }

    /// <summary>An OTLP collector, e.g. "http://otel-collector:4317": traces, metrics and logs go there. Empty: OTLP off.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The OTLP transport.</summary>
    public OtlpProtocol OtlpProtocol { get; set; } = OtlpProtocol.Grpc;

    /// <summary>Serve the Prometheus scrape endpoint (<see cref="PrometheusPath"/>) on the host's HTTP port.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>The scrape path.</summary>
    [RegularExpression("^/[A-Za-z0-9/_-]*$", ErrorMessage = "Orchestrator:Telemetry:PrometheusPath must be an absolute path such as /metrics")]
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>Write traces, metrics and logs to the console (development).</summary>
    public bool Console { get; set; }

    /// <summary>
    /// Record spans. Unset: only when an exporter takes them (OTLP or console), so the embedded demo
    /// and the benchmarks pay nothing for spans nobody reads.
    /// </summary>
    public bool? Traces { get; set; }

    /// <summary>Whether spans are recorded with these settings.</summary>
    public bool TracesEnabled => Traces ?? (!string.IsNullOrWhiteSpace(OtlpEndpoint) || Console);

    /// <summary>
    /// The share of task traces recorded, 0 to 1. Task trace ids derive from task ids, so every
    /// process keeps or drops the same tasks' spans.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSamplingRatio { get; set; } = 1.0;
}
