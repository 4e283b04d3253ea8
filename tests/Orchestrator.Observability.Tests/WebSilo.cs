using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Observability.Tests;

/// <summary>A real `orchestrator serve` host in this process: the embedded silo with its Kestrel endpoints on free loopback ports.</summary>
public sealed class WebSilo : IAsyncDisposable
{
    private WebSilo(WebApplication app, int httpPort)
    {
        App = app;
        HttpBase = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public WebApplication App { get; }

    /// <summary>The HTTP/1.1 endpoint (health, metrics, status page).</summary>
    public Uri HttpBase { get; }

    public IGrainFactory Grains => App.Services.GetRequiredService<IGrainFactory>();

    public static async Task<WebSilo> StartAsync(params string[] extraArgs)
    {
        var httpPort = LocalPorts.Free();
        string[] args =
        [
            $"--Orchestrator:SiloPort={LocalPorts.Free()}",
            $"--Orchestrator:GatewayPort={LocalPorts.Free()}",
            "--Orchestrator:Api:Enabled=true",
            $"--Orchestrator:Api:Url=http://127.0.0.1:{LocalPorts.Free()}",
            $"--Orchestrator:Api:HttpUrl=http://127.0.0.1:{httpPort}",
            "--Orchestrator:Api:AdminToken=observability-test-admin-token",
            $"--Orchestrator:Api:ResultDirectory={Path.Combine(Path.GetTempPath(), "orch-obs-" + Guid.NewGuid().ToString("n"))}",
            .. extraArgs,
        ];
        var app = SiloWebHost.Build(EmbeddedCluster.CreateWebBuilder(args));
        await app.StartAsync();
        return new WebSilo(app, httpPort);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
