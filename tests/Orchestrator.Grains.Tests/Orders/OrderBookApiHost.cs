using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Host.Hosting;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>A real silo with the API on Kestrel (loopback, free ports) for one pool and one hub: orchestrator.orders.v1 over real gRPC and JSON.</summary>
public sealed class OrderBookApiHost : IAsyncLifetime
{
    public const string Token = "order-book-test-owner-token-0123";
    public const ulong ChainId = 31337;

    private WebApplication? _app;

    public byte[] PoolKey { get; } = Secp256k1.NewPrivateKey();

    public Address Pool => Secp256k1.AddressOf(PoolKey);

    public Address Hub { get; } = new(RandomNumberGenerator.GetBytes(20));

    public GrpcChannel Channel { get; private set; } = null!;

    /// <summary>The silo's protocol clock (the book's expiries): it moves only when a test moves it.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The HTTP/1.1 endpoint serving the JSON routes.</summary>
    public Uri Http { get; private set; } = null!;

    public Proto.OrderBook.OrderBookClient Book => new(Channel);

    public Proto.OrderBookAdmin.OrderBookAdminClient Admin(string? authorization = "Bearer " + Token) => new(Channel.Intercept(metadata =>
    {
        if (authorization is not null)
        {
            metadata.Add("authorization", authorization);
        }

        return metadata;
    }));

    public async Task InitializeAsync()
    {
        var grpcPort = LocalPorts.Free();
        var httpPort = LocalPorts.Free();
        Http = new Uri($"http://127.0.0.1:{httpPort}");
        var settings = new Dictionary<string, string?>
        {
            ["Orchestrator:ClusterId"] = "order-book-tests",
            ["Orchestrator:SiloPort"] = LocalPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:GatewayPort"] = LocalPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Api:Enabled"] = "true",
            ["Orchestrator:Api:Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Orchestrator:Api:HttpUrl"] = $"http://127.0.0.1:{httpPort}",
            ["Orchestrator:Api:AdminToken"] = Token,
            ["Orchestrator:Api:PoolAddress"] = Pool.ToLowerHex(),
            ["Orchestrator:Api:ChainId"] = ChainId.ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Api:HubAddress"] = Hub.ToLowerHex(),
        };
        var builder = EmbeddedCluster.CreateWebBuilder([], configure: b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.Services.AddSingleton(new OrchestratorClock(Clock));
        });
        _app = SiloWebHost.Build(builder);
        await _app.StartAsync();
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
