using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Observability.Tests;

/// <summary>An embedded silo built by the real host code, with in-memory exporters added to its OpenTelemetry pipeline.</summary>
public sealed class TelemetryHost : IAsyncDisposable
{
    private TelemetryHost(IHost host, List<Activity> spans, List<Metric> metrics)
    {
        Host = host;
        Spans = spans;
        Metrics = metrics;
    }

    public IHost Host { get; }

    public List<Activity> Spans { get; }

    public List<Metric> Metrics { get; }

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    public static async Task<TelemetryHost> StartAsync(params string[] extraArgs)
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        string[] args =
        [
            $"--Orchestrator:SiloPort={LocalPorts.Free()}",
            $"--Orchestrator:GatewayPort={LocalPorts.Free()}",
            "--Orchestrator:Telemetry:Traces=true",
            .. extraArgs,
        ];
        var builder = EmbeddedCluster.CreateBuilder(args, configure: b =>
        {
            b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            b.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
        });
        var host = builder.Build();
        await host.StartAsync();
        return new TelemetryHost(host, spans, metrics);
    }

    /// <summary>Exports what is buffered: every ended span, and one collection of every instrument.</summary>
    public void Flush()
    {
        Host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        Host.Services.GetRequiredService<MeterProvider>().ForceFlush();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
