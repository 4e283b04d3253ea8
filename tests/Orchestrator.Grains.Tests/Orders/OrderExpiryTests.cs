using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Api.Orders;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Tests.Registry;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>
/// A publication's expires_at (the book's, since PoCo v5's orders carry no expiry): an order already expired is refused
/// at publication and stored nowhere; once the silo's clock passes it, the order leaves the public list and a match naming
/// it is refused with the rule, the book unchanged.
/// </summary>
public sealed class OrderExpiryTests(OrderBookApiHost host) : IClassFixture<OrderBookApiHost>
{
    [Fact]
    public async Task An_expired_order_is_refused_at_publication_and_after_its_expiry_is_neither_listed_nor_matched()
    {
        var owner = new OwnerClient(host.Channel);
        var app = (await owner.RegisterAppAsync("expiring-" + Guid.NewGuid().ToString("N")[..8], "127.0.0.1:5000/hello@sha256:" + new string('c', 64))).Address;
        Proto.Order AppOrder() => OrderSigning.Sign(
            new Proto.Order { Kind = Proto.OrderKind.App, Asset = app, Price = "1", Volume = "10", Salt = Salt() }, owner.Key, OrderBookApiHost.ChainId, host.Hub);

        var stale = AppOrder();
        var refused = await Assert.ThrowsAsync<RpcException>(() => host.Book.PublishOrderAsync(
            new Proto.PublishOrderRequest { Order = stale, ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)) }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("OrderExpired", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Asset = app })).Orders);

        var expiry = host.Clock.GetUtcNow().AddMinutes(5);
        var held = await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest { Order = AppOrder(), ExpiresAt = Timestamp.FromDateTimeOffset(expiry) });
        Assert.Equal(Timestamp.FromDateTimeOffset(expiry), held.ExpiresAt);
        var pool = await host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order { Kind = Proto.OrderKind.Workerpool, Asset = host.Pool.ToLowerHex(), Price = "2", Volume = "10", Trust = "1", Salt = Salt() }, host.PoolKey, OrderBookApiHost.ChainId, host.Hub),
        });
        var requester = Secp256k1.NewPrivateKey();
        Proto.MatchOrdersRequest Match() => new()
        {
            Request = OrderSigning.SignRequest(new Proto.RequestOrder
            {
                App = app, AppMaxPrice = "1", WorkerpoolMaxPrice = "2", Requester = Secp256k1.AddressOf(requester).ToLowerHex(), Volume = "1", Trust = "1", Salt = Salt(),
            }, requester, OrderBookApiHost.ChainId, host.Hub),
            AppOrder = held.Hash,
            WorkerpoolOrder = pool.Hash,
        };

        Assert.Equal("1", (await host.Book.MatchOrdersAsync(Match())).Volume);
        Assert.Single((await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Asset = app })).Orders);

        host.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty((await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Asset = app })).Orders);
        refused = await Assert.ThrowsAsync<RpcException>(() => host.Book.MatchOrdersAsync(Match()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("OrderExpired", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("1", (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = held.Hash })).Consumed);
        Assert.Equal("1", (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = pool.Hash })).Consumed);
    }

    private static string Salt() => "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
}
