using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Orchestrator.Grains.Tests.Registry;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>
/// orchestrator.orders.v1 over real gRPC and JSON on a real silo: the pool publishes its orders with its token and its
/// own signature, app owners with their registry-known keys; anyone pages through the open orders; every refusal names
/// its rule and leaves the book as it was.
/// </summary>
public sealed class OrderBookGrpcTests(OrderBookApiHost host) : IClassFixture<OrderBookApiHost>
{
    private static readonly string Image = "127.0.0.1:5000/hello@sha256:" + new string('a', 64);

    [Fact]
    public async Task Owners_publish_anyone_pages_through_the_open_orders_and_a_cancelled_order_leaves_the_book_for_good()
    {
        var owner = new OwnerClient(host.Channel);
        var app = Address.Parse((await owner.RegisterAppAsync("sold-" + Guid.NewGuid().ToString("N")[..8], Image)).Address);
        var appOrder = SignedApp(app, owner.Key, price: 7);
        var published = await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest { Order = appOrder });
        Assert.Equal(owner.Address.ToLowerHex(), published.Owner);
        Assert.Equal(Digest(new AppOrder(app, 7, 10, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, Hash32.Parse(appOrder.Salt))).ToString(), published.Hash);
        Assert.Equal("0", published.Consumed);
        Assert.Equal(published, await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest { Order = appOrder })); // the same order again is the one held

        var poolHashes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            poolHashes.Add((await host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest { Order = SignedPool(price: 100 + i) })).Hash);
        }

        // Pages of 2 over the pool's orders: every order once, in hash order, the last page without a token.
        var seen = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Kind = Proto.OrderKind.Workerpool, PageSize = 2, PageToken = token });
            Assert.InRange(page.Orders.Count, 1, 2);
            seen.AddRange(page.Orders.Select(o => o.Hash));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(poolHashes.Order(StringComparer.Ordinal), seen);

        using var http = new HttpClient { BaseAddress = host.Http };
        var json = JsonDocument.Parse(await http.GetStringAsync($"/v1/orders?asset={app.ToLowerHex()}")).RootElement;
        var listed = Assert.Single(json.GetProperty("orders").EnumerateArray());
        Assert.Equal(published.Hash, listed.GetProperty("hash").GetString());
        Assert.Equal("7", listed.GetProperty("order").GetProperty("price").GetString());
        Assert.Equal(OrderDomain.Name, JsonDocument.Parse(await http.GetStringAsync("/v1/orders:domain")).RootElement.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/v1/orders?pageSize=101")).StatusCode);

        var cancelled = await host.Book.CancelOrderAsync(new Proto.CancelOrderRequest { Hash = published.Hash, Signature = Cancellation(published.Hash, owner.Key) });
        Assert.True(cancelled.Cancelled);
        Assert.Empty((await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Asset = app.ToLowerHex() })).Orders);
        Assert.True((await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = published.Hash })).Cancelled);
        await Refused(host.Book.PublishOrderAsync(new Proto.PublishOrderRequest { Order = appOrder }).ResponseAsync, StatusCode.FailedPrecondition, "a cancelled order is never published again");

        var poolCancelled = await host.Admin().CancelPoolOrderAsync(new Proto.CancelPoolOrderRequest { Hash = poolHashes[0] });
        Assert.True(poolCancelled.Cancelled);
        Assert.DoesNotContain(poolHashes[0], (await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Kind = Proto.OrderKind.Workerpool })).Orders.Select(o => o.Hash));
    }

    [Fact]
    public async Task Each_bad_publication_or_cancellation_is_refused_with_its_rule_and_the_book_is_unchanged()
    {
        var owner = new OwnerClient(host.Channel);
        var stranger = new OwnerClient(host.Channel);
        var app = Address.Parse((await owner.RegisterAppAsync("guarded-" + Guid.NewGuid().ToString("N")[..8], Image)).Address);
        var held = await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest { Order = SignedApp(app, owner.Key, price: 1) });
        var before = await Snapshot(app);

        await Refused(Publish(SignedApp(app, stranger.Key, price: 2)), StatusCode.Unauthenticated, "BadOrderSignature");
        var otherChain = SignedApp(app, owner.Key, price: 2, chainId: 1);
        await Refused(Publish(otherChain), StatusCode.Unauthenticated, "BadOrderSignature");
        await Refused(Publish(SignedApp(app, owner.Key, price: 2, volume: 0)), StatusCode.InvalidArgument, "VolumeExhausted");
        var unregistered = new Address(RandomNumberGenerator.GetBytes(20));
        await Refused(Publish(SignedApp(unregistered, owner.Key, price: 2)), StatusCode.NotFound, "UnknownAsset");
        await Refused(Publish(SignedPool(price: 5)), StatusCode.InvalidArgument, "published by the pool owner through OrderBookAdmin");
        var malformed = SignedApp(app, owner.Key, price: 2);
        malformed.Price = "-3";
        await Refused(Publish(malformed), StatusCode.InvalidArgument, "order.price: a decimal uint256");
        var foreign = SignedApp(app, owner.Key, price: 2);
        foreign.AppRestrict = app.ToLowerHex();
        await Refused(Publish(foreign), StatusCode.InvalidArgument, "order.app_restrict");
        await Refused(host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { PageToken = "next" }).ResponseAsync, StatusCode.InvalidArgument, "page_token");

        await Refused(host.Admin(null).PublishPoolOrderAsync(new Proto.PublishOrderRequest { Order = SignedPool(price: 5) }).ResponseAsync, StatusCode.Unauthenticated, "authorization");
        await Refused(host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest { Order = SignedPool(price: 5, category: 5) }).ResponseAsync, StatusCode.InvalidArgument, "UnknownCategory");
        var otherPoolKey = Secp256k1.NewPrivateKey();
        await Refused(host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest { Order = SignedPool(price: 5, key: otherPoolKey, pool: Secp256k1.AddressOf(otherPoolKey)) }).ResponseAsync, StatusCode.NotFound, "is not this cluster's pool");
        await Refused(host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest { Order = SignedPool(price: 5, key: otherPoolKey) }).ResponseAsync, StatusCode.Unauthenticated, "BadOrderSignature");

        await Refused(host.Book.CancelOrderAsync(new Proto.CancelOrderRequest { Hash = held.Hash, Signature = Cancellation(held.Hash, stranger.Key) }).ResponseAsync, StatusCode.Unauthenticated, "only an order's owner cancels it");
        await Refused(host.Book.CancelOrderAsync(new Proto.CancelOrderRequest { Hash = held.Hash, Signature = held.Order.Signature }).ResponseAsync, StatusCode.Unauthenticated, "only an order's owner cancels it");
        await Refused(host.Book.CancelOrderAsync(new Proto.CancelOrderRequest { Hash = held.Hash }).ResponseAsync, StatusCode.Unauthenticated, "signature");
        await Refused(host.Admin().CancelPoolOrderAsync(new Proto.CancelPoolOrderRequest { Hash = held.Hash }).ResponseAsync, StatusCode.PermissionDenied, "the pool's token cancels only the pool's orders");
        await Refused(host.Admin(null).CancelPoolOrderAsync(new Proto.CancelPoolOrderRequest { Hash = held.Hash }).ResponseAsync, StatusCode.Unauthenticated, "authorization");
        var unknown = Hash32.Parse("0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        await Refused(host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = unknown.ToString() }).ResponseAsync, StatusCode.NotFound, "not in the book");

        Assert.Equal(before, await Snapshot(app));
        Assert.False((await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = held.Hash })).Cancelled);
    }

    private Task<Proto.BookOrder> Publish(Proto.Order order) => host.Book.PublishOrderAsync(new Proto.PublishOrderRequest { Order = order }).ResponseAsync;

    /// <summary>Every open order of the app and every open pool order, as the public API shows them.</summary>
    private async Task<string> Snapshot(Address app)
    {
        var mine = await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Asset = app.ToLowerHex(), PageSize = 100 });
        var pools = await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Kind = Proto.OrderKind.Workerpool, PageSize = 100 });
        return mine.ToString() + pools.ToString();
    }

    private Hash32 Digest(AppOrder order) => OrderDomain.Digest(OrderBookApiHost.ChainId, host.Hub, order.StructHash());

    private Proto.Order SignedApp(Address app, byte[] key, int price, int volume = 10, ulong chainId = OrderBookApiHost.ChainId)
    {
        var salt = new Hash32(RandomNumberGenerator.GetBytes(32));
        var order = new AppOrder(app, price, volume, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, salt);
        return new Proto.Order
        {
            Kind = Proto.OrderKind.App,
            Asset = app.ToLowerHex(),
            Price = price.ToString(CultureInfo.InvariantCulture),
            Volume = volume.ToString(CultureInfo.InvariantCulture),
            Salt = salt.ToString(),
            Signature = Sign(OrderDomain.Digest(chainId, host.Hub, order.StructHash()), key),
        };
    }

    private Proto.Order SignedPool(int price, int category = 0, byte[]? key = null, Address? pool = null)
    {
        var salt = new Hash32(RandomNumberGenerator.GetBytes(32));
        var owner = pool ?? host.Pool;
        var order = new WorkerpoolOrder(owner, price, 10, Hash32.Zero, category, 1, Address.Zero, Address.Zero, Address.Zero, salt);
        return new Proto.Order
        {
            Kind = Proto.OrderKind.Workerpool,
            Asset = owner.ToLowerHex(),
            Price = price.ToString(CultureInfo.InvariantCulture),
            Volume = "10",
            Category = category.ToString(CultureInfo.InvariantCulture),
            Trust = "1",
            Salt = salt.ToString(),
            Signature = Sign(OrderDomain.Digest(OrderBookApiHost.ChainId, host.Hub, order.StructHash()), key ?? host.PoolKey),
        };
    }

    private ByteString Cancellation(string hash, byte[] key) => Sign(OrderCancellation.Digest(OrderBookApiHost.ChainId, host.Hub, Hash32.Parse(hash)), key);

    private static ByteString Sign(Hash32 digest, byte[] key) => ByteString.CopyFrom(Secp256k1.Sign(digest.ToArray(), key).ToBytes65());

    private static async Task Refused<T>(Task<T> call, StatusCode code, string rule)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(code, refused.StatusCode);
        Assert.Contains(rule, refused.Status.Detail, StringComparison.Ordinal);
    }
}
