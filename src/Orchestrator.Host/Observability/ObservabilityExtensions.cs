using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

using Orchestrator.Host.Observability.Health;
using Orchestrator.Host.Observability.Status;
using Orchestrator.Telemetry;

namespace Orchestrator.Host.Observability;

/// <summary>
/// Everything a host needs to be watched, in one place (eShop's ServiceDefaults shape): OpenTelemetry
/// traces, metrics and logs with their exporters, and the health checks; <see cref="MapOrchestratorObservability"/>
/// serves the health, scrape and status endpoints on the host's HTTP port.
/// </summary>
public static class ObservabilityExtensions
{
    /// <summary>Liveness: the process answers (no dependency is checked, so a database outage never restarts pods).</summary>
    public const string LivenessPath = "/health/live";

    /// <summary>Readiness: the silo joined the cluster, the database answers and the bus is connected.</summary>
    public const string ReadinessPath = "/health/ready";

    /// <summary>The health-check tag of the readiness checks (MassTransit tags its bus check "ready" too).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The activity source of MassTransit's own instrumentation.</summary>
    public const string MassTransitSource = "MassTransit";

    /// <summary>Orleans' meter.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans' span sources taken: grain calls made by application code and storage operations (not the runtime's own chatter).</summary>
    public static IReadOnlyList<string> OrleansSources { get; } =
        [Orleans.Diagnostics.ActivitySources.ApplicationGrainActivitySourceName, Orleans.Diagnostics.ActivitySources.StorageActivitySourceName];

    /// <summary>Registers OpenTelemetry (traces, metrics, logs), its exporters and the health checks, from section "Orchestrator:Telemetry".</summary>
    public static IHostApplicationBuilder AddOrchestratorObservability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        OrchestratorTelemetry.EnsureCreated();

        builder.Logging.AddOpenTelemetry(logging =>
        {
            // Each record carries the trace and span ids of the span it was written in.
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceInstanceId: options.InstanceId ?? Environment.MachineName))
            .WithTracing(tracing =>
            {
                if (!options.TracesEnabled)
                {
                    return;
                }

                tracing.SetSampler(options.TraceSamplingRatio >= 1.0
                        ? new ParentBasedSampler(new AlwaysOnSampler())
                        : new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSamplingRatio), remoteParentSampled: new TraceIdRatioBasedSampler(options.TraceSamplingRatio)))
                    .AddSource([.. OrchestratorTelemetry.ComponentNames])
                    .AddSource(MassTransitSource)
                    .AddSource([.. OrleansSources])
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperationalPath(context.Request.Path, options))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (options.Console)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([.. OrchestratorTelemetry.ComponentNames])
                    .AddMeter(OrleansMeter, MassTransitSource, "Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (options.Console)
                {
                    metrics.AddConsoleExporter();
                }
            })
            .WithLogging(logging =>
            {
                if (options.Console)
                {
                    logging.AddConsoleExporter();
                }
            });

        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            var protocol = options.OtlpProtocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            otel.UseOtlpExporter(protocol, new Uri(options.OtlpEndpoint));
        }

        builder.Services.AddStatusPage();
        builder.Services.AddHealthChecks()
            .AddCheck<SiloJoinedHealthCheck>("silo", tags: [ReadyTag])
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Serves <see cref="LivenessPath"/>, <see cref="ReadinessPath"/>, the status page
    /// (<see cref="Status.StatusPage.Path"/>) and (unless switched off) the Prometheus scrape endpoint. Readiness runs every check tagged "ready": the silo's, the
    /// database's, and the bus's when MassTransit is configured.
    /// </summary>
    public static IEndpointRouteBuilder MapOrchestratorObservability(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value;
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        if (options.Prometheus)
        {
            endpoints.MapPrometheusScrapingEndpoint(options.PrometheusPath);
        }

        endpoints.MapStatusPage();
        return endpoints;
    }

    private static bool IsOperationalPath(PathString path, TelemetryOptions options)
        => path.StartsWithSegments("/health", StringComparison.Ordinal) || path.StartsWithSegments(options.PrometheusPath, StringComparison.Ordinal);
}
