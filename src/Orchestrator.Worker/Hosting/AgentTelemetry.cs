using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Hosting;

/// <summary>
/// Exports the agent's spans and metrics (<see cref="WorkerAgentTelemetry"/>) and its logs over OTLP, as
/// the silo does. The agent's task spans are in each task's trace (<see cref="TaskTrace"/>), so a
/// collector that receives both sides shows the worker's run, contribute, reveal and upload under the
/// task's grain spans; its gRPC calls carry the span as <c>traceparent</c>, so the server's spans join too.
/// </summary>
public sealed class AgentTelemetry : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider? _metrics;

    private AgentTelemetry(TracerProvider tracing, MeterProvider? metrics)
    {
        _tracing = tracing;
        _metrics = metrics;
    }

    /// <summary>
    /// Starts export for <paramref name="worker"/>; null (nothing recorded, nothing paid) when no endpoint
    /// is set and no <paramref name="addExporters"/> is given (tests add an in-memory exporter there).
    /// </summary>
    public static AgentTelemetry? Start(WorkerTelemetryOptions options, Address worker, Action<TracerProviderBuilder>? addExporters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled && addExporters is null)
        {
            return null;
        }

        var tracing = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => Describe(r, options, worker))
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
            .AddSource(WorkerAgentTelemetry.Name);
        MeterProviderBuilder? metrics = null;
        if (options.Enabled)
        {
            tracing.AddOtlpExporter(o => Point(o, options, "traces"));
            metrics = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => Describe(r, options, worker))
                .AddMeter(WorkerAgentTelemetry.Name)
                .AddOtlpExporter(o => Point(o, options, "metrics"));
        }

        addExporters?.Invoke(tracing);
        return new AgentTelemetry(tracing.Build(), metrics?.Build());
    }

    /// <summary>Adds OTLP log export to the agent's logging when an endpoint is set (each record carries its span's ids).</summary>
    public static void AddLogExport(ILoggingBuilder logging, WorkerTelemetryOptions options, Address? worker)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return;
        }

        logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
            o.SetResourceBuilder(Describe(ResourceBuilder.CreateDefault(), options, worker));
            o.AddOtlpExporter(e => Point(e, options, "logs"));
        });
    }

    /// <summary>Flushes what is buffered and stops export.</summary>
    public void Dispose()
    {
        _tracing.Dispose();
        _metrics?.Dispose();
    }

    private static ResourceBuilder Describe(ResourceBuilder resource, WorkerTelemetryOptions options, Address? worker)
        => resource.AddService(options.ServiceName, serviceInstanceId: worker?.ToLowerHex() ?? Environment.MachineName);

    // Over HTTP each signal has its own path under the collector's base URL (OTLP/HTTP); over gRPC the base URL is the endpoint.
    private static void Point(OtlpExporterOptions exporter, WorkerTelemetryOptions options, string signal)
    {
        var endpoint = options.OtlpEndpoint!.TrimEnd('/');
        if (options.OtlpProtocol == WorkerOtlpProtocol.HttpProtobuf)
        {
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri($"{endpoint}/v1/{signal}");
        }
        else
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = new Uri(endpoint);
        }
    }
}
