using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Orders;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using Proto = Orchestrator.Api.Orders.V1;
using static Orchestrator.Bridge.Tests.Infrastructure.PaidDeals;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// The marketplace end to end with the four parties on Anvil: the pool owner, the app owner and the dataset owner publish
/// their signed orders to the pool's order book, a requester's signed order is matched through the API into a deal the
/// hub creates with matchOrders (escrow locked), simulated workers run it at trust 3, and every balance is checked to the
/// wei; then a matched deal nobody runs reaches its final deadline and the requester gets its escrow back.
/// </summary>
public sealed class FullFlowTests(FullFlowTests.Fixture cluster) : IClassFixture<FullFlowTests.Fixture>
{
    private const ulong ChainId = 31337;

    /// <summary>A policy the listener mirrors into the registry, so the book knows the app's owner.</summary>
    private const string MirroredPolicy = "tee=sgx;mrenclave=1111111111111111111111111111111111111111111111111111111111111111;signer=;tdx=;tcb=UpToDate;maxage=0;debug=0;simulated=1";

    /// <summary>A cluster serving the API, whose protocol clock the test moves (for the final deadline of the unrun deal).</summary>
    public sealed class Fixture : BridgeCluster
    {
        /// <summary>The silo's protocol clock.</summary>
        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        /// <inheritdoc />
        protected override TimeProvider ProtocolTime => Clock;

        /// <inheritdoc />
        protected override bool ServesApi => true;
    }

    [ChainFact]
    public async Task Four_parties_sell_and_buy_through_signed_orders_and_every_balance_is_right_to_the_wei()
    {
        const int tasks = 4;
        var hub = cluster.Hub;
        using var channel = GrpcChannel.ForAddress(cluster.ApiUrl);
        var book = new Proto.OrderBook.OrderBookClient(channel);
        var (app, dataset, pool) = await PublishSellOrdersAsync(book, channel, poolVolume: tasks + 2);
        var workers = await cluster.StartWorkersAsync(3, Price);
        var requester = Accounts.Of(Accounts.RequesterKey);
        await hub.DepositAsync(Accounts.RequesterKey, (tasks + 2) * PerTask);
        var parties = new[] { requester, Accounts.Of(Accounts.AppOwnerKey), Accounts.Of(Accounts.DatasetOwnerKey), Accounts.Of(Accounts.PoolOwnerKey), Accounts.Of(Accounts.SchedulerKey) }
            .Concat(workers.Select(w => w.Address)).ToList();
        var before = await LedgerAsync(parties);

        Hash32 dealId;
        try
        {
            var request = Request(app, dataset, tasks, trust: 3);
            var match = await book.MatchOrdersAsync(new Proto.MatchOrdersRequest { Request = request, WorkerpoolOrder = pool.Hash });
            dealId = Hash32.Parse(match.DealId);
            Assert.Equal(ProtocolIds.DealId(OrderSigning.RequestHash(request, ChainId, hub.Hub), 0), dealId);
            Assert.NotEmpty(match.Transaction);

            // The hub consumed every order as the book did, and locked the whole escrow out of the requester's free balance.
            foreach (var order in new[] { app, dataset, pool })
            {
                Assert.Equal(tasks, await hub.ConsumedAsync(Hash32.Parse(order.Hash)));
                Assert.Equal(tasks.ToString(CultureInfo.InvariantCulture), (await book.GetOrderAsync(new Proto.GetOrderRequest { Hash = order.Hash })).Consumed);
            }

            var locked = await LedgerAsync(parties);
            Assert.Equal(new HubBalance(before[requester].Free - (tasks * PerTask), before[requester].Frozen + (tasks * PerTask)), locked[requester]);
            await Eventually.UntilAsync($"all {tasks} tasks to be COMPLETED on chain", async () =>
                (await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => hub.TaskStatusAsync(dealId, i)))).All(s => s == HubContract.StatusCompleted), TimeSpan.FromSeconds(90));
        }
        finally
        {
            await cluster.StopWorkersAsync();
        }

        var paid = await LedgerAsync(parties);
        var expected = await PaidOutAsync(cluster.Grains, before, dealId, tasks);
        expected[requester] = new HubBalance(before[requester].Free - (tasks * PerTask), before[requester].Frozen);
        foreach (var party in parties)
        {
            Assert.True(expected[party] == paid[party], $"{party}: expected {expected[party]}, got {paid[party]}");
        }

        await AFailedDealRefundsTheRequesterAsync(book, app, dataset, pool, parties, paid);
    }

    /// <summary>A second request takes the pool order's last 2 tasks; nobody runs them; at the final deadline the requester gets 2 × per-task back.</summary>
    private async Task AFailedDealRefundsTheRequesterAsync(
        Proto.OrderBook.OrderBookClient book, Proto.BookOrder app, Proto.BookOrder dataset, Proto.BookOrder pool,
        IReadOnlyList<Address> parties, Dictionary<Address, HubBalance> paid)
    {
        var requester = Accounts.Of(Accounts.RequesterKey);
        var match = await book.MatchOrdersAsync(new Proto.MatchOrdersRequest { Request = Request(app, dataset, 5, trust: 1), WorkerpoolOrder = pool.Hash });
        Assert.Equal("2", match.Volume);
        var failing = Hash32.Parse(match.DealId);
        await Eventually.UntilAsync("the listener to create the matched deal", async () => (await cluster.Grains.Deal(failing).GetViewAsync()).Exists, TimeSpan.FromSeconds(30));
        Assert.Equal(paid[requester].Frozen + (2 * PerTask), await cluster.Hub.FrozenAsync(requester));

        await PassFinalDeadlineAsync(cluster, cluster.Clock, failing);
        await Eventually.UntilAsync("both tasks to be claimed (FAILED) on chain", async () =>
            (await Task.WhenAll(Enumerable.Range(0, 2).Select(i => cluster.Hub.TaskStatusAsync(failing, i)))).All(s => s == HubContract.StatusFailed), TimeSpan.FromSeconds(60));
        var refunded = await LedgerAsync(parties);
        Assert.Equal(paid[requester], refunded[requester]);
        foreach (var party in parties.Where(p => p != requester))
        {
            Assert.Equal(paid[party], refunded[party]);
        }

        // The exhausted pool order cannot be matched again, and the refusal names the rule.
        var refused = await Assert.ThrowsAsync<RpcException>(() => book.MatchOrdersAsync(
            new Proto.MatchOrdersRequest { Request = Request(app, dataset, 1, trust: 1), WorkerpoolOrder = pool.Hash }).ResponseAsync);
        Assert.Contains("VolumeExhausted", refused.Status.Detail, StringComparison.Ordinal);

        // The listener saw both matches' OrdersMatched logs on the hub and took nothing twice: the book still agrees
        // with the hub's consumed counts (the API had taken each match's volume before sending it).
        foreach (var order in new[] { app, dataset, pool })
        {
            var digest = Hash32.Parse(order.Hash);
            Assert.Equal((await cluster.Hub.ConsumedAsync(digest)).ToString(CultureInfo.InvariantCulture), (await book.GetOrderAsync(new Proto.GetOrderRequest { Hash = order.Hash })).Consumed);
        }
    }

    /// <summary>The app and dataset registered on the hub (mirrored into the registry), and the three sell orders published to the book.</summary>
    private async Task<(Proto.BookOrder App, Proto.BookOrder Dataset, Proto.BookOrder Pool)> PublishSellOrdersAsync(
        Proto.OrderBook.OrderBookClient book, GrpcChannel channel, int poolVolume)
    {
        var hub = cluster.Hub;
        var app = await hub.RegisterAppAsync(Accounts.AppOwnerKey, "flow-app", AppPrice, MirroredPolicy);
        var dataset = await hub.RegisterDatasetAsync(Accounts.DatasetOwnerKey, "flow-data", DatasetPrice);
        await Eventually.UntilAsync("the listener to mirror the app and the dataset", async () =>
            await cluster.Grains.RegistryIndex("apps").ContainsAsync(app) && await cluster.Grains.RegistryIndex("datasets").ContainsAsync(dataset), TimeSpan.FromSeconds(30));
        var appOrder = await book.PublishOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order { Kind = Proto.OrderKind.App, Asset = app.ToLowerHex(), Price = Text(AppPrice), Volume = "100", Salt = Salt() }, Accounts.AppOwnerKey, ChainId, hub.Hub),
        });
        var datasetOrder = await book.PublishOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(new Proto.Order { Kind = Proto.OrderKind.Dataset, Asset = dataset.ToLowerHex(), Price = Text(DatasetPrice), Volume = "100", Salt = Salt() }, Accounts.DatasetOwnerKey, ChainId, hub.Hub),
        });
        var admin = new Proto.OrderBookAdmin.OrderBookAdminClient(channel);
        var poolOrder = await admin.PublishPoolOrderAsync(
            new Proto.PublishOrderRequest
            {
                Order = OrderSigning.Sign(new Proto.Order
                {
                    Kind = Proto.OrderKind.Workerpool, Asset = Accounts.Of(Accounts.PoolOwnerKey).ToLowerHex(), Price = Text(Price),
                    Volume = poolVolume.ToString(CultureInfo.InvariantCulture), Trust = "3", Salt = Salt(),
                }, Accounts.PoolOwnerKey, ChainId, hub.Hub),
            },
            new Metadata { { "authorization", "Bearer " + BridgeCluster.AdminToken } });
        return (appOrder, datasetOrder, poolOrder);
    }

    private Proto.RequestOrder Request(Proto.BookOrder app, Proto.BookOrder dataset, int volume, int trust)
    {
        var requester = Accounts.Of(Accounts.RequesterKey).ToLowerHex();
        return OrderSigning.SignRequest(new Proto.RequestOrder
        {
            App = app.Order.Asset, AppMaxPrice = Text(AppPrice), Dataset = dataset.Order.Asset, DatasetMaxPrice = Text(DatasetPrice),
            Workerpool = Accounts.Of(Accounts.PoolOwnerKey).ToLowerHex(), WorkerpoolMaxPrice = Text(Price), Requester = requester,
            Volume = volume.ToString(CultureInfo.InvariantCulture), Trust = trust.ToString(CultureInfo.InvariantCulture), Beneficiary = requester,
            Params = "full-flow", Salt = Salt(),
        }, Accounts.RequesterKey, ChainId, cluster.Hub.Hub);
    }

    private Task<Dictionary<Address, HubBalance>> LedgerAsync(IReadOnlyList<Address> accounts) => PaidDeals.LedgerAsync(cluster.Hub, accounts);

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Salt() => "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
}
