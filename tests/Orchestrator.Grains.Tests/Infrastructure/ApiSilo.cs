using System.Globalization;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Grains.Tests.Infrastructure;

/// <summary>
/// One embedded silo with the API on Kestrel (loopback, free ports, the pool owner's admin token) for a test
/// fixture: gRPC on <see cref="Channel"/>, the JSON routes on <see cref="Http"/>. A fixture adds its own keys
/// (test roots, master keys, intervals) and, when time is under test, the protocol clock.
/// </summary>
public sealed class ApiSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiSilo(WebApplication app, GrpcChannel channel, Uri http)
    {
        _app = app;
        Channel = channel;
        Http = http;
    }

    /// <summary>The gRPC endpoint (HTTP/2 without TLS).</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The HTTP/1.1 endpoint serving the JSON routes.</summary>
    public Uri Http { get; }

    /// <summary>The silo's services (its grain factory among them).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a silo of cluster <paramref name="clusterId"/> with <paramref name="settings"/> over the defaults.</summary>
    public static async Task<ApiSilo> StartAsync(string clusterId, string adminToken, IReadOnlyDictionary<string, string?> settings, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var grpc = $"http://127.0.0.1:{LocalPorts.Free()}";
        var http = new Uri($"http://127.0.0.1:{LocalPorts.Free()}");
        var all = new Dictionary<string, string?>
        {
            ["Orchestrator:ClusterId"] = clusterId,
            ["Orchestrator:SiloPort"] = LocalPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:GatewayPort"] = LocalPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Api:Enabled"] = "true",
            ["Orchestrator:Api:Url"] = grpc,
            ["Orchestrator:Api:HttpUrl"] = http.ToString().TrimEnd('/'),
            ["Orchestrator:Api:AdminToken"] = adminToken,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var builder = EmbeddedCluster.CreateWebBuilder([], configure: b =>
        {
            b.Configuration.AddInMemoryCollection(all);
            if (clock is not null)
            {
                b.Services.AddSingleton(new OrchestratorClock(clock));
            }
        });
        var app = SiloWebHost.Build(builder);
        await app.StartAsync();
        return new ApiSilo(app, GrpcChannel.ForAddress(grpc), http);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
