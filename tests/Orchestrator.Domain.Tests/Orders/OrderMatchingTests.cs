using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Domain.Tests.Orders;

/// <summary>PoCo's matching rules off chain: real keys and signatures, each broken rule named, first rule first.</summary>
public sealed class OrderMatchingTests
{
    private const ulong ChainId = 31337;
    private static readonly Address Hub = OrderTypedDataTests.Hub;
    private static readonly byte[] AppKey = Key(1), DatasetKey = Key(2), PoolKey = Key(3), RequesterKey = Key(4), OutsiderKey = Key(5);
    private static readonly Address App = OrderTypedDataTests.Repeat("a1"), Dataset = OrderTypedDataTests.Repeat("d1");
    private static readonly Address Pool = Secp256k1.AddressOf(PoolKey), Requester = Secp256k1.AddressOf(RequesterKey);
    private static readonly Address Other = OrderTypedDataTests.Repeat("77");

    private readonly InMemoryOrderLedger _ledger = new();

    public OrderMatchingTests()
    {
        _ledger.Apps[App] = Secp256k1.AddressOf(AppKey);
        _ledger.Datasets[Dataset] = Secp256k1.AddressOf(DatasetKey);
        _ledger.Pools.Add(Pool);
    }

    [Fact]
    public void AMatchTakesTheSmallestRemainingVolumeAndPoCosDealId()
    {
        var orders = Sign(Orders() with { });
        var (match, refusal) = OrderMatching.Match(orders, _ledger, ChainId, Hub);
        Assert.Null(refusal);
        Assert.Equal(4, match!.Volume);
        Assert.Equal(0, match.BotFirst);
        Assert.Equal(ProtocolIds.DealId(OrderDomain.Digest(ChainId, Hub, orders.Request.StructHash()), 0), match.DealId);

        _ledger.Apply(match, orders.HasDataset);
        var bigger = Sign(Orders() with { Request = orders.Request with { Volume = 9 } });
        var (next, _) = OrderMatching.Match(bigger, _ledger, ChainId, Hub);
        Assert.Equal(6, next!.Volume); // the app, dataset and pool orders (10 each) have 6 left
        Assert.Equal(0, next.BotFirst); // another request: its own count starts at 0
    }

    [Fact]
    public void ASpentRequestIsRefusedAndTheNextDealOfAPartlySpentOneStartsWhereItStopped()
    {
        var orders = Sign(Orders());
        var (first, _) = OrderMatching.Match(orders, _ledger, ChainId, Hub);
        _ledger.Apply(first!, orders.HasDataset);
        var (_, replay) = OrderMatching.Match(orders, _ledger, ChainId, Hub);
        Assert.Equal((OrderRule.VolumeExhausted, OrderParty.Request), (replay!.Rule, replay.Party));

        var partly = Sign(Orders() with { Request = orders.Request with { Volume = 30 } });
        var (a, _) = OrderMatching.Match(partly, _ledger, ChainId, Hub);
        Assert.Equal(6, a!.Volume);
        _ledger.Apply(a, partly.HasDataset);
        var (_, exhausted) = OrderMatching.Match(partly, _ledger, ChainId, Hub);
        Assert.Equal((OrderRule.VolumeExhausted, OrderParty.App), (exhausted!.Rule, exhausted.Party));
    }

    [Fact]
    public void ARequestWithoutADatasetMatchesTheEmptyDatasetOrder()
    {
        var orders = Orders();
        var unsigned = orders with
        {
            Dataset = DatasetOrder.None,
            Request = orders.Request with { Dataset = Address.Zero, DatasetMaxPrice = 0 },
        };
        var (match, refusal) = OrderMatching.Match(Sign(unsigned), _ledger, ChainId, Hub);
        Assert.Null(refusal);
        Assert.True(match!.DatasetDigest.IsZero);
    }

    public static TheoryData<string, OrderRule, OrderParty> Refusals() => new()
    {
        { "wrong signer", OrderRule.BadOrderSignature, OrderParty.Request },
        { "wrong chain id", OrderRule.BadOrderSignature, OrderParty.App },
        { "wrong hub", OrderRule.BadOrderSignature, OrderParty.Dataset },
        { "pool price above max", OrderRule.PriceAboveMax, OrderParty.Workerpool },
        { "tag not offered", OrderRule.TagNotOffered, OrderParty.Workerpool },
        { "tee app required", OrderRule.TeeAppRequired, OrderParty.App },
        { "invalid tee tag", OrderRule.InvalidTag, OrderParty.Request },
        { "tee trust", OrderRule.InvalidTrust, OrderParty.Request },
        { "trust above offer", OrderRule.TrustAboveOffer, OrderParty.Request },
        { "category mismatch", OrderRule.CategoryMismatch, OrderParty.Request },
        { "unknown category", OrderRule.UnknownCategory, OrderParty.Request },
        { "pool restricts requester", OrderRule.Restricted, OrderParty.Workerpool },
        { "app restricts absent dataset", OrderRule.Restricted, OrderParty.App },
        { "asset mismatch", OrderRule.AssetMismatch, OrderParty.App },
        { "unregistered pool", OrderRule.UnknownAsset, OrderParty.Workerpool },
        { "cancelled pool order", OrderRule.VolumeExhausted, OrderParty.Workerpool },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void EachBrokenRuleIsRefusedByNameAndTheLedgerIsUntouched(string scenario, OrderRule rule, OrderParty party)
    {
        var o = Orders();
        var (set, chain, hub) = scenario switch
        {
            "wrong signer" => (Sign(o, requesterKey: OutsiderKey), ChainId, Hub),
            "wrong chain id" => (Sign(o, appChain: 1), ChainId, Hub),
            "wrong hub" => (Sign(o, datasetHub: Other), ChainId, Hub),
            "pool price above max" => (Sign(o with { Request = o.Request with { WorkerpoolMaxPrice = 99 } }), ChainId, Hub),
            "tag not offered" => (Sign(o with { App = o.App with { Tag = Tag(3) }, Request = o.Request with { Tag = Tag(3) } }), ChainId, Hub),
            "tee app required" => (Sign(o with { Workerpool = o.Workerpool with { Tag = Tag(0xF) }, Request = o.Request with { Tag = Tag(3) } }), ChainId, Hub),
            "invalid tee tag" => (Sign(o with { Workerpool = o.Workerpool with { Tag = Tag(0xF) }, App = o.App with { Tag = Tag(1) } }), ChainId, Hub),
            "tee trust" => (Sign(o with { Workerpool = o.Workerpool with { Tag = Tag(3), Trust = 5 }, App = o.App with { Tag = Tag(3) }, Request = o.Request with { Trust = 3 } }), ChainId, Hub),
            "trust above offer" => (Sign(o with { Request = o.Request with { Trust = 5 } }), ChainId, Hub),
            "category mismatch" => (Sign(o with { Request = o.Request with { Category = 1 }, Workerpool = o.Workerpool with { Trust = 0 } }), ChainId, Hub),
            "unknown category" => (Sign(o with { Request = o.Request with { Category = 5 }, Workerpool = o.Workerpool with { Category = 5 } }), ChainId, Hub),
            "pool restricts requester" => (Sign(o with { Workerpool = o.Workerpool with { RequesterRestrict = Other } }), ChainId, Hub),
            "app restricts absent dataset" => (Sign(o with
            {
                App = o.App with { DatasetRestrict = Dataset },
                Dataset = DatasetOrder.None,
                Request = o.Request with { Dataset = Address.Zero },
            }), ChainId, Hub),
            "asset mismatch" => (Sign(o with { Request = o.Request with { App = Other } }), ChainId, Hub),
            "unregistered pool" => (Sign(o), ChainId, Hub),
            _ => (Sign(o), ChainId, Hub),
        };
        if (scenario == "unregistered pool")
        {
            _ledger.Pools.Clear();
        }

        if (scenario == "cancelled pool order")
        {
            _ledger.ConsumedCounts[OrderDomain.Digest(ChainId, Hub, set.Workerpool.StructHash())] = set.Workerpool.Volume;
        }

        var before = _ledger.ConsumedCounts.ToDictionary();
        var (match, refusal) = OrderMatching.Match(set, _ledger, chain, hub);
        Assert.Null(match);
        Assert.Equal((rule, party), (refusal!.Rule, refusal.Party));
        Assert.Contains("rule", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Message);
        Assert.Equal(before, _ledger.ConsumedCounts);
    }

    [Fact]
    public void TheFirstBrokenRuleInTheHubsOrderIsTheOneNamed()
    {
        // Category, price and signature are all wrong: the hub checks the category first.
        var o = Orders();
        var set = Sign(o with { Request = o.Request with { Category = 1, WorkerpoolMaxPrice = 1 } }, requesterKey: OutsiderKey);
        Assert.Equal(OrderRule.CategoryMismatch, OrderMatching.Match(set, _ledger, ChainId, Hub).Refusal!.Rule);
    }

    private static OrderSet Orders() => new(
        new AppOrder(App, 3, 10, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, Tag(1)), [],
        new DatasetOrder(Dataset, 5, 10, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, Tag(2)), [],
        new WorkerpoolOrder(Pool, 100, 10, Hash32.Zero, 0, 1, Address.Zero, Address.Zero, Address.Zero, Tag(3)), [],
        new RequestOrder(App, 3, Dataset, 5, Pool, 100, Requester, 4, Hash32.Zero, 0, 1, Requester, Address.Zero, "{}", Tag(4)), []);

    private static OrderSet Sign(OrderSet o, byte[]? requesterKey = null, ulong appChain = ChainId, Address? datasetHub = null) => o with
    {
        AppSignature = SignDigest(OrderDomain.Digest(appChain, Hub, o.App.StructHash()), AppKey),
        DatasetSignature = o.HasDataset ? SignDigest(OrderDomain.Digest(ChainId, datasetHub ?? Hub, o.Dataset.StructHash()), DatasetKey) : [],
        WorkerpoolSignature = SignDigest(OrderDomain.Digest(ChainId, Hub, o.Workerpool.StructHash()), PoolKey),
        RequestSignature = SignDigest(OrderDomain.Digest(ChainId, Hub, o.Request.StructHash()), requesterKey ?? RequesterKey),
    };

    private static byte[] SignDigest(Hash32 digest, byte[] key) => Secp256k1.Sign(digest.ToArray(), key).ToBytes65();

    private static Hash32 Tag(BigInteger value) => OrderTypedDataTests.Word(value);

    private static byte[] Key(byte seed)
    {
        var key = new byte[32];
        key[31] = seed;
        key[0] = 0x42;
        return key;
    }
}
