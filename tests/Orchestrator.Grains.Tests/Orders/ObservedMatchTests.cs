using System.Security.Cryptography;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Orders;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>
/// Matches made on the hub itself, as the chain listener reports them to the book (a requester calling matchOrders
/// without the pool's API): the volume is taken from the held orders once per deal, never again for a match the API
/// already took, and a match of orders the book never held changes nothing.
/// </summary>
public sealed class ObservedMatchTests(OrderBookApiHost host) : IClassFixture<OrderBookApiHost>
{
    [Fact]
    public async Task A_hub_match_takes_its_volume_once_and_an_api_match_or_a_foreign_one_is_not_taken_again()
    {
        var pool = await host.Admin().PublishPoolOrderAsync(new Proto.PublishOrderRequest
        {
            Order = OrderSigning.Sign(
                new Proto.Order { Kind = Proto.OrderKind.Workerpool, Asset = host.Pool.ToLowerHex(), Price = "2", Volume = "10", Trust = "1", Salt = Salt() },
                host.PoolKey, OrderBookApiHost.ChainId, host.Hub),
        });
        var digest = Hash32.Parse(pool.Hash);
        var book = host.Grains.OrderBook();

        // Seen on the hub: 3 tasks taken; the same log again takes nothing.
        var onHub = new BookConsumption([digest], Random(), "0", "3");
        var hubDeal = ProtocolIds.DealId(onHub.Request, 0);
        Assert.True(await book.ObserveMatchAsync(hubDeal, onHub));
        Assert.False(await book.ObserveMatchAsync(hubDeal, onHub));
        Assert.Equal("3", await ConsumedAsync(digest));
        Assert.Equal("3", await book.RequestConsumedAsync(onHub.Request));

        // Matched through the API (taken before the transaction), then its log seen: not taken twice.
        var throughApi = new BookConsumption([digest], Random(), "0", "2");
        Assert.Null(await book.ConsumeAsync(throughApi));
        Assert.False(await book.ObserveMatchAsync(ProtocolIds.DealId(throughApi.Request, 0), throughApi));
        Assert.Equal("5", await ConsumedAsync(digest));

        // A match of orders this book never held: nothing recorded, not even the request's count.
        var foreign = new BookConsumption([Random()], Random(), "0", "4");
        Assert.False(await book.ObserveMatchAsync(ProtocolIds.DealId(foreign.Request, 0), foreign));
        Assert.Equal("0", await book.RequestConsumedAsync(foreign.Request));
        Assert.Equal("5", await ConsumedAsync(digest));
    }

    private async Task<string> ConsumedAsync(Hash32 digest) => (await host.Grains.OrderBook().GetAsync(digest))!.Consumed;

    private static Hash32 Random() => new(RandomNumberGenerator.GetBytes(32));

    private static string Salt() => "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
}
