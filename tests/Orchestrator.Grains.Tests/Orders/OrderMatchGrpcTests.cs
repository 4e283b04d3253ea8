using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Orchestrator.Api.Orders;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Grains.Tests.Registry;
using AdminProto = Orchestrator.Api.Admin.V1;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>
/// A requester's signed order matched through orchestrator.orders.v1 on a real silo without a chain: the deal is created
/// off chain with PoCo's deal id, every order's consumed count grows by the deal's volume, a replayed match and an
/// exhausted order are refused with the rule, and every refusal leaves the book (and the deals) as they were.
/// </summary>
public sealed class OrderMatchGrpcTests(OrderBookApiHost host) : IClassFixture<OrderBookApiHost>
{
    private static readonly string Image = "127.0.0.1:5000/hello@sha256:" + new string('b', 64);
    private readonly byte[] _requesterKey = Secp256k1.NewPrivateKey();
    private readonly Dictionary<Address, byte[]> _appOwners = [];

    [Fact]
    public async Task A_signed_request_becomes_a_deal_with_pocos_id_consuming_every_order_and_a_replay_or_an_exhausted_order_is_refused()
    {
        var (app, dataset, pool) = await PublishAsync(poolVolume: 3);
        var first = Request(app, dataset, volume: 2);
        var reply = await host.Book.MatchOrdersAsync(new Proto.MatchOrdersRequest { Request = first, WorkerpoolOrder = pool.Hash });

        var requestHash = OrderSigning.RequestHash(first, OrderBookApiHost.ChainId, host.Hub);
        Assert.Equal(ProtocolIds.DealId(requestHash, 0).ToString(), reply.DealId);
        Assert.Equal(("0", "2", requestHash.ToString()), (reply.BotFirst, reply.Volume, reply.RequestHash));
        Assert.Equal((app.Hash, dataset.Hash, pool.Hash, string.Empty), (reply.AppOrder, reply.DatasetOrder, reply.WorkerpoolOrder, reply.Transaction));
        Assert.Equal(["2", "2", "2"], await ConsumedAsync(app, dataset, pool));
        var deal = (await PoolAdmin().GetDealAsync(new AdminProto.GetDealRequest { DealId = reply.DealId })).Deal;
        Assert.Equal(2, deal.BotSize);

        // The same request again: its volume is spent (replay); nothing moves.
        await Refused(host.Book.MatchOrdersAsync(new Proto.MatchOrdersRequest { Request = first, WorkerpoolOrder = pool.Hash }).ResponseAsync, StatusCode.FailedPrecondition, "VolumeExhausted");
        Assert.Equal(["2", "2", "2"], await ConsumedAsync(app, dataset, pool));

        // A larger request takes what the pool order has left (1), over JSON; then the pool order is exhausted.
        var second = Request(app, dataset, volume: 5);
        using var http = new HttpClient { BaseAddress = host.Http };
        var json = await MatchJsonAsync(http, second, pool.Hash);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        var matched = JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("1", matched.GetProperty("volume").GetString());
        Assert.Equal(ProtocolIds.DealId(OrderSigning.RequestHash(second, OrderBookApiHost.ChainId, host.Hub), 0).ToString(), matched.GetProperty("dealId").GetString());
        Assert.Equal(["3", "3", "3"], await ConsumedAsync(app, dataset, pool));
        Assert.DoesNotContain(pool.Hash, (await host.Book.ListOrdersAsync(new Proto.ListOrdersRequest { Kind = Proto.OrderKind.Workerpool, PageSize = 100 })).Orders.Select(o => o.Hash));

        var third = Request(app, dataset, volume: 1);
        var exhausted = await MatchJsonAsync(http, third, pool.Hash);
        Assert.Equal(HttpStatusCode.BadRequest, exhausted.StatusCode);
        Assert.Contains("VolumeExhausted", await exhausted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(["3", "3", "3"], await ConsumedAsync(app, dataset, pool));
    }

    [Fact]
    public async Task Each_bad_match_is_refused_with_its_rule_and_leaves_the_book_and_the_deals_as_they_were()
    {
        var (app, dataset, pool) = await PublishAsync(poolVolume: 10);
        var stranger = Secp256k1.NewPrivateKey();
        var otherHub = new Address(RandomNumberGenerator.GetBytes(20));
        var restricted = await PublishPoolAsync(10, requesterRestrict: Secp256k1.AddressOf(stranger));
        var cancelledApp = await PublishAppAsync(Address.Parse(app.Order.Asset), host.Pool, cancel: true);
        var cases = new (string Why, Proto.RequestOrder Request, string? Pool, string? App, StatusCode Code, string Rule)[]
        {
            ("signed by another key", Request(app, dataset, 1, signer: stranger), pool.Hash, null, StatusCode.Unauthenticated, "BadOrderSignature"),
            ("signed for chain 1", Request(app, dataset, 1, chainId: 1), pool.Hash, null, StatusCode.Unauthenticated, "BadOrderSignature"),
            ("signed for another hub", Request(app, dataset, 1, hub: otherHub), pool.Hash, null, StatusCode.Unauthenticated, "BadOrderSignature"),
            ("pool price above its max", Request(app, dataset, 1, poolMax: 4), pool.Hash, null, StatusCode.InvalidArgument, "PriceAboveMax"),
            ("a TEE tag the pool does not offer", Request(app, dataset, 1, tag: 0x3), pool.Hash, null, StatusCode.InvalidArgument, "TagNotOffered"),
            ("trust above the offer", Request(app, dataset, 1, trust: 5), pool.Hash, null, StatusCode.InvalidArgument, "TrustAboveOffer"),
            ("another category", Request(app, dataset, 1, category: 2), pool.Hash, null, StatusCode.InvalidArgument, "CategoryMismatch"),
            ("a pool order restricted to another requester", Request(app, dataset, 1), restricted.Hash, null, StatusCode.InvalidArgument, "Restricted"),
            ("a cancelled app order", Request(app, dataset, 1), pool.Hash, cancelledApp.Hash, StatusCode.FailedPrecondition, "VolumeExhausted"),
            ("an order the book never held", Request(app, dataset, 1), "0x" + new string('7', 64), null, StatusCode.NotFound, "not in the book"),
        };
        foreach (var (why, request, poolHash, appHash, code, rule) in cases)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => host.Book.MatchOrdersAsync(
                new Proto.MatchOrdersRequest { Request = request, WorkerpoolOrder = poolHash ?? string.Empty, AppOrder = appHash ?? string.Empty }).ResponseAsync);
            Assert.True(refused.StatusCode == code && refused.Status.Detail.Contains(rule, StringComparison.Ordinal), $"{why}: {refused.Status}");
            var dealId = ProtocolIds.DealId(OrderSigning.RequestHash(request, OrderBookApiHost.ChainId, host.Hub), 0);
            var noDeal = await Assert.ThrowsAsync<RpcException>(() => PoolAdmin().GetDealAsync(new AdminProto.GetDealRequest { DealId = dealId.ToString() }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, noDeal.StatusCode);
        }

        Assert.Equal(["0", "0", "0"], await ConsumedAsync(app, dataset, pool));
        Assert.Equal("0", (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = restricted.Hash })).Consumed);
    }

    [Fact]
    public async Task Orders_signed_by_ethers_outside_dotnet_are_published_and_matched_over_json()
    {
        Assert.True(File.Exists(Repository.PathOf("node_modules", "ethers", "package.json")), "ethers is not installed: run npm ci at the repository's root (it is a devDependency)");
        var owner = new OwnerClient(host.Channel);
        var app = (await owner.RegisterAppAsync("ethers-" + Guid.NewGuid().ToString("N")[..8], Image)).Address;
        var printed = await Task.Run(() => Commands.Run("node",
            [Repository.PathOf("tests", "outsider", "order_match.mjs"), host.Http.ToString().TrimEnd('/'), OrderBookApiHost.Token, Hex.Encode(host.PoolKey), Hex.Encode(owner.Key), Hex.Encode(_requesterKey), app],
            TimeSpan.FromMinutes(1)));
        var reply = JsonDocument.Parse(printed).RootElement;
        var match = reply.GetProperty("match");
        var requestHash = Hash32.Parse(reply.GetProperty("requestHash").GetString()!);

        // The server's digests are ethers' (same type strings, same domain), and the deal id follows PoCo's rule from them.
        Assert.Equal(requestHash.ToString(), match.GetProperty("requestHash").GetString());
        Assert.Equal(reply.GetProperty("appHash").GetString(), match.GetProperty("appOrder").GetString());
        Assert.Equal(reply.GetProperty("workerpoolHash").GetString(), match.GetProperty("workerpoolOrder").GetString());
        Assert.Equal(ProtocolIds.DealId(requestHash, 0).ToString(), match.GetProperty("dealId").GetString());
        Assert.Equal("2", match.GetProperty("volume").GetString());
        Assert.Equal(2, (await PoolAdmin().GetDealAsync(new AdminProto.GetDealRequest { DealId = match.GetProperty("dealId").GetString() })).Deal.BotSize);
        Assert.Equal("2", (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = reply.GetProperty("appHash").GetString() })).Consumed);
    }

    private async Task<HttpResponseMessage> MatchJsonAsync(HttpClient http, Proto.RequestOrder request, string poolHash)
    {
        var body = Google.Protobuf.JsonFormatter.Default.Format(new Proto.MatchOrdersRequest { Request = request, WorkerpoolOrder = poolHash });
        return await http.PostAsync("/v1/orders:match", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
    }

    private async Task<(Proto.BookOrder App, Proto.BookOrder Dataset, Proto.BookOrder Pool)> PublishAsync(int poolVolume)
    {
        var owner = new OwnerClient(host.Channel);
        var appAddress = Address.Parse((await owner.RegisterAppAsync("matched-" + Guid.NewGuid().ToString("N")[..8], Image)).Address);
        var datasetOwner = new OwnerClient(host.Channel);
        var datasetAddress = Address.Parse((await datasetOwner.RegisterDatasetAsync("data-" + Guid.NewGuid().ToString("N")[..8])).Address);
        var app = await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order { Kind = Proto.OrderKind.App, Asset = appAddress.ToLowerHex(), Price = "3", Volume = "10", Salt = Salt() }, owner.Key, OrderBookApiHost.ChainId, host.Hub),
        });
        var dataset = await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order { Kind = Proto.OrderKind.Dataset, Asset = datasetAddress.ToLowerHex(), Price = "2", Volume = "10", Salt = Salt() }, datasetOwner.Key, OrderBookApiHost.ChainId, host.Hub),
        });
        _appOwners[appAddress] = owner.Key;
        return (app, dataset, await PublishPoolAsync(poolVolume));
    }

    private async Task<Proto.BookOrder> PublishPoolAsync(int volume, Address? requesterRestrict = null)
        => await host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order
            {
                Kind = Proto.OrderKind.Workerpool, Asset = host.Pool.ToLowerHex(), Price = "5", Volume = volume.ToString(CultureInfo.InvariantCulture), Trust = "1",
                RequesterRestrict = requesterRestrict?.ToLowerHex() ?? string.Empty, Salt = Salt(),
            }, host.PoolKey, OrderBookApiHost.ChainId, host.Hub),
        });

    /// <summary>A second app order of the same app, published and (with <paramref name="cancel"/>) cancelled by its owner.</summary>
    private async Task<Proto.BookOrder> PublishAppAsync(Address app, Address workerpoolRestrict, bool cancel)
    {
        var key = _appOwners[app];
        var order = await host.Book.PublishOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order { Kind = Proto.OrderKind.App, Asset = app.ToLowerHex(), Price = "1", Volume = "10", WorkerpoolRestrict = workerpoolRestrict.ToLowerHex(), Salt = Salt() }, key, OrderBookApiHost.ChainId, host.Hub),
        });
        return cancel
            ? await host.Book.CancelOrderAsync(new Proto.CancelOrderRequest { Hash = order.Hash, Signature = OrderSigning.Cancellation(Hash32.Parse(order.Hash), key, OrderBookApiHost.ChainId, host.Hub) })
            : order;
    }

    private Proto.RequestOrder Request(
        Proto.BookOrder app, Proto.BookOrder dataset, int volume, byte[]? signer = null, ulong chainId = OrderBookApiHost.ChainId, Address? hub = null,
        int poolMax = 5, uint tag = 0, int trust = 1, int category = 0)
    {
        var order = new Proto.RequestOrder
        {
            App = app.Order.Asset, AppMaxPrice = "3", Dataset = dataset.Order.Asset, DatasetMaxPrice = "2", Workerpool = host.Pool.ToLowerHex(),
            WorkerpoolMaxPrice = poolMax.ToString(CultureInfo.InvariantCulture), Requester = Secp256k1.AddressOf(_requesterKey).ToLowerHex(),
            Volume = volume.ToString(CultureInfo.InvariantCulture), Tag = "0x" + tag.ToString("x64", CultureInfo.InvariantCulture),
            Category = category.ToString(CultureInfo.InvariantCulture), Trust = trust.ToString(CultureInfo.InvariantCulture), Params = "matched", Salt = Salt(),
        };
        return OrderSigning.SignRequest(order, signer ?? _requesterKey, chainId, hub ?? host.Hub);
    }

    private async Task<string[]> ConsumedAsync(params Proto.BookOrder[] orders)
        => await Task.WhenAll(orders.Select(async o => (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = o.Hash })).Consumed));

    private AdminProto.PoolAdmin.PoolAdminClient PoolAdmin() => new(host.Channel.Intercept(metadata =>
    {
        metadata.Add("authorization", "Bearer " + OrderBookApiHost.Token);
        return metadata;
    }));

    private static string Salt() => "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    private static async Task Refused<T>(Task<T> call, StatusCode code, string rule)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(code, refused.StatusCode);
        Assert.Contains(rule, refused.Status.Detail, StringComparison.Ordinal);
    }
}
