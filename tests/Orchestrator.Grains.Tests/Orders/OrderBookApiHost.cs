using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Tests.Infrastructure;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>A real silo with the API on Kestrel (loopback, free ports) for one pool and one hub: orchestrator.orders.v1 over real gRPC and JSON.</summary>
public sealed class OrderBookApiHost : IAsyncLifetime
{
    public const string Token = "order-book-test-owner-token-0123";
    public const ulong ChainId = 31337;

    private ApiSilo? _silo;

    public byte[] PoolKey { get; } = Secp256k1.NewPrivateKey();

    public Address Pool => Secp256k1.AddressOf(PoolKey);

    public Address Hub { get; } = new(RandomNumberGenerator.GetBytes(20));

    public GrpcChannel Channel => _silo!.Channel;

    /// <summary>The silo's grains (the book itself, as the chain listener reaches it).</summary>
    public Orleans.IGrainFactory Grains => _silo!.Services.GetRequiredService<Orleans.IGrainFactory>();

    /// <summary>The silo's protocol clock (the book's expiries): it moves only when a test moves it.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The HTTP/1.1 endpoint serving the JSON routes.</summary>
    public Uri Http => _silo!.Http;

    public Proto.OrderBook.OrderBookClient Book => new(Channel);

    public Proto.OrderBookAdmin.OrderBookAdminClient Admin(string? authorization = "Bearer " + Token) => new(Channel.Intercept(metadata =>
    {
        if (authorization is not null)
        {
            metadata.Add("authorization", authorization);
        }

        return metadata;
    }));

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync("order-book-tests", Token, new Dictionary<string, string?>
    {
        ["Orchestrator:Api:PoolAddress"] = Pool.ToLowerHex(),
        ["Orchestrator:Api:ChainId"] = ChainId.ToString(CultureInfo.InvariantCulture),
        ["Orchestrator:Api:HubAddress"] = Hub.ToLowerHex(),
    }, Clock);

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}
