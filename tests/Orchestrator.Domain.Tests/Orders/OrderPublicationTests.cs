using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Domain.Tests.Orders;

/// <summary>What the off-chain order book accepts: real keys and signatures, each refusal naming the matching rule it breaks.</summary>
public sealed class OrderPublicationTests
{
    private const ulong ChainId = 31337;
    private static readonly Address Hub = OrderTypedDataTests.Hub;
    private static readonly byte[] OwnerKey = Key(1), PoolKey = Key(2), OutsiderKey = Key(3);
    private static readonly Address Owner = Secp256k1.AddressOf(OwnerKey), Pool = Secp256k1.AddressOf(PoolKey);
    private static readonly AppOrder App = new(OrderTypedDataTests.Repeat("a1"), 3, 10, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, OrderTypedDataTests.Word(1));
    private static readonly WorkerpoolOrder PoolOrder = new(Pool, 100, 10, Hash32.Zero, 0, 1, Address.Zero, Address.Zero, Address.Zero, OrderTypedDataTests.Word(2));

    [Fact]
    public void AnOrderSignedByItsOwnerUnderTheHubsDomainIsAccepted()
    {
        Assert.Null(OrderPublication.Check(App, Sign(App.StructHash(), OwnerKey), Owner, ChainId, Hub));
        Assert.Null(OrderPublication.Check(PoolOrder, Sign(PoolOrder.StructHash(), PoolKey), Pool, ChainId, Hub));
    }

    [Fact]
    public void EachBadOrderIsRefusedWithTheMatchingRuleItBreaks()
    {
        var signed = Sign(App.StructHash(), OwnerKey);
        Assert.Equal((OrderRule.UnknownAsset, OrderParty.App), Rule(OrderPublication.Check(App, signed, null, ChainId, Hub)));
        Assert.Equal((OrderRule.BadOrderSignature, OrderParty.App), Rule(OrderPublication.Check(App, Sign(App.StructHash(), OutsiderKey), Owner, ChainId, Hub)));
        Assert.Equal((OrderRule.BadOrderSignature, OrderParty.App), Rule(OrderPublication.Check(App, Sign(App.StructHash(), OwnerKey, chainId: 1), Owner, ChainId, Hub)));
        Assert.Equal((OrderRule.BadOrderSignature, OrderParty.App), Rule(OrderPublication.Check(App, signed, Owner, ChainId, OrderTypedDataTests.Repeat("99"))));
        var empty = App with { Volume = 0 };
        Assert.Equal((OrderRule.VolumeExhausted, OrderParty.App), Rule(OrderPublication.Check(empty, Sign(empty.StructHash(), OwnerKey), Owner, ChainId, Hub)));

        var foreignPool = PoolOrder with { Workerpool = Owner };
        Assert.Equal((OrderRule.UnknownAsset, OrderParty.Workerpool), Rule(OrderPublication.Check(foreignPool, Sign(foreignPool.StructHash(), OwnerKey), Pool, ChainId, Hub)));
        var badCategory = PoolOrder with { Category = 5 };
        var refusal = OrderPublication.Check(badCategory, Sign(badCategory.StructHash(), PoolKey), Pool, ChainId, Hub);
        Assert.Equal((OrderRule.UnknownCategory, OrderParty.Workerpool), Rule(refusal));
        Assert.Contains("rule:", refusal!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheOwnersCancellationOfThatOrderUnderTheHubsDomainCounts()
    {
        var order = OrderDomain.Digest(ChainId, Hub, App.StructHash());
        var cancel = Secp256k1.Sign(OrderCancellation.Digest(ChainId, Hub, order).ToArray(), OwnerKey).ToBytes65();
        Assert.Null(OrderPublication.CheckCancellation(OrderParty.App, order, cancel, Owner, ChainId, Hub));
        Assert.NotNull(OrderPublication.CheckCancellation(OrderParty.App, order, cancel, Pool, ChainId, Hub));
        var other = OrderDomain.Digest(ChainId, Hub, PoolOrder.StructHash());
        Assert.NotNull(OrderPublication.CheckCancellation(OrderParty.App, other, cancel, Owner, ChainId, Hub));
        // The order's own signature is public: it must not pass for a cancellation.
        Assert.NotNull(OrderPublication.CheckCancellation(OrderParty.App, order, Sign(App.StructHash(), OwnerKey), Owner, ChainId, Hub));
    }

    private static (OrderRule, OrderParty)? Rule(OrderRefusal? refusal) => refusal is null ? null : (refusal.Rule, refusal.Party);

    private static byte[] Sign(Hash32 structHash, byte[] key, ulong chainId = ChainId) => Secp256k1.Sign(OrderDomain.Digest(chainId, Hub, structHash).ToArray(), key).ToBytes65();

    private static byte[] Key(byte seed)
    {
        var key = new byte[32];
        key[31] = seed;
        key[0] = 0x24;
        return key;
    }
}
