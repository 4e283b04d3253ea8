using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Api.Tests.Infrastructure;

/// <summary>
/// One real silo (in-memory storage) with the API on Kestrel: gRPC on one free loopback port
/// (HTTP/2), JSON on another (HTTP/1.1). Shared by the tests of the "api" collection.
/// </summary>
public sealed class ApiHost : IAsyncLifetime
{
    public const string Token = "test-owner-token-0123456789";

    private WebApplication? _app;

    public int GrpcPort { get; } = LocalPorts.Free();

    public int HttpPort { get; } = LocalPorts.Free();

    public string ResultDirectory { get; } = Path.Combine(Path.GetTempPath(), "orch-api-tests-" + Guid.NewGuid().ToString("n"));

    public GrpcChannel Channel { get; private set; } = null!;

    /// <summary>The silo's services (its result store, its grain factory).</summary>
    public IServiceProvider Services => _app!.Services;

    public WorkerSession.WorkerSessionClient Workers { get; private set; } = null!;

    public PoolAdmin.PoolAdminClient Admin { get; private set; } = null!;

    public PoolAdmin.PoolAdminClient AdminWithToken(string? header)
        => new(Channel.Intercept(metadata =>
        {
            if (header is not null)
            {
                metadata.Add("authorization", header);
            }

            return metadata;
        }));

    /// <summary>Starts a silo with the API, on free silo and gateway ports, with these settings (and services) on top.</summary>
    public static async Task<WebApplication> StartSiloAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Orchestrator:ClusterId"] = "api-tests",
            ["Orchestrator:SiloPort"] = LocalPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orchestrator:GatewayPort"] = LocalPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orchestrator:Api:Enabled"] = "true",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var app = SiloWebHost.Build(EmbeddedCluster.CreateWebBuilder([], configure: b =>
        {
            b.Configuration.AddInMemoryCollection(all);
            services?.Invoke(b.Services);
        }));
        await app.StartAsync();
        return app;
    }

    public async Task InitializeAsync()
    {
        _app = await StartSiloAsync(new Dictionary<string, string?>
        {
            ["Orchestrator:Api:Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Orchestrator:Api:HttpUrl"] = $"http://127.0.0.1:{HttpPort}",
            ["Orchestrator:Api:AdminToken"] = Token,
            ["Orchestrator:Api:ResultDirectory"] = ResultDirectory,
            ["Orchestrator:Api:MaxResultBytes"] = "1048576",
            ["Orchestrator:Api:MaxMessageBytes"] = "262144",
            ["Orchestrator:Api:ChallengeTimeout"] = "00:00:05",
            ["Orchestrator:Api:IdlePollInterval"] = "00:00:00.500",
            ["Orchestrator:Api:HeartbeatInterval"] = "00:00:02", // sessions silent for 6 s end (test workers beat every second)
        });
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}", new GrpcChannelOptions { MaxReceiveMessageSize = 8 * 1024 * 1024, MaxSendMessageSize = 8 * 1024 * 1024 });
        Workers = new WorkerSession.WorkerSessionClient(Channel);
        Admin = AdminWithToken("Bearer " + Token);
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (Directory.Exists(ResultDirectory))
        {
            Directory.Delete(ResultDirectory, recursive: true);
        }
    }
}

[CollectionDefinition("api")]
public sealed class ApiCollection : ICollectionFixture<ApiHost>;
