using System.Globalization;
using System.Numerics;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Xunit.Abstractions;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// The Domain's matching verdicts agree with the hub contract's on the same generated orders (property style, seeded so a
/// failure replays): for each case the first broken rule (and its party) is the same on both sides, a match gives the same
/// deal id, and after the matches are mined every consumed count on chain is the one the Domain's ledger computed.
/// </summary>
public sealed class OrderAgreementTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Cases = 300;
    private const ulong ChainId = 31337;
    private static readonly AbiFunction RegisterApp = AbiFunction.Parse("registerApp(string name, string image, string policy, uint256 price) returns (address)");
    private static readonly AbiFunction AppAddress = AbiFunction.Parse("appAddress(address owner, string name) returns (address)");
    private static readonly AbiFunction RegisterDataset = AbiFunction.Parse(
        "registerDataset(string name, bytes32 checksum, string uri, uint256 price, address[] apps, address[] appOwners, address[] requesters, address[] pools) returns (address)");
    private static readonly AbiFunction DatasetAddress = AbiFunction.Parse("datasetAddress(address owner, string name) returns (address)");

    private readonly AnvilNode _anvil = new();
    private readonly byte[] _appKey = Secp256k1.NewPrivateKey(), _datasetKey = Secp256k1.NewPrivateKey(), _outsiderKey = Secp256k1.NewPrivateKey();
    private HubDeployment _hub = null!;
    private Address _app, _dataset;

    public async Task InitializeAsync()
    {
        if (AnvilNode.UnavailableReason is not null)
        {
            return;
        }

        await _anvil.StartAsync();
        var rpc = _anvil.Client();
        _hub = await HubDeployment.DeployAsync(rpc);
        foreach (var key in new[] { _appKey, _datasetKey })
        {
            await rpc.SendAsync("anvil_setBalance", [Accounts.Of(key).ToLowerHex(), "0x56BC75E2D63100000"]);
        }

        await HubDeployment.SendAsync(rpc, _appKey, _hub.Hub, RegisterApp.EncodeCall("app", "img", "policy", BigInteger.One), BigInteger.Zero);
        _app = (Address)AppAddress.DecodeOutput(await Call(AppAddress.EncodeCall(Accounts.Of(_appKey), "app")))[0]!;
        await HubDeployment.SendAsync(rpc, _datasetKey, _hub.Hub,
            RegisterDataset.EncodeCall("data", new byte[32], "https://d", BigInteger.One, Array.Empty<Address>(), Array.Empty<Address>(), Array.Empty<Address>(), Array.Empty<Address>()),
            BigInteger.Zero, 1_000_000);
        _dataset = (Address)DatasetAddress.DecodeOutput(await Call(DatasetAddress.EncodeCall(Accounts.Of(_datasetKey), "data")))[0]!;
        await HubDeployment.SendAsync(rpc, Accounts.FunderKey, _hub.Hub, HubContract.DepositFor.EncodeCall(Accounts.Of(Accounts.RequesterKey)), BigInteger.Pow(10, 18));
    }

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [AnvilFact]
    public async Task TheDomainAndTheHubGiveTheSameVerdictOnGeneratedOrders()
    {
        var random = new Random(20261205);
        var ledger = new InMemoryOrderLedger(); // the Domain's view of the hub's state, kept by applying the matches the test mines
        ledger.Apps[_app] = Accounts.Of(_appKey);
        ledger.Datasets[_dataset] = Accounts.Of(_datasetKey);
        ledger.Pools.Add(Accounts.Of(Accounts.PoolOwnerKey));
        var matched = new List<OrderSet>();
        var verdicts = new Dictionary<string, int>();

        for (var i = 0; i < Cases; i++)
        {
            var orders = Generate(random, i, matched);
            var (match, refusal) = OrderMatching.Match(orders, ledger, ChainId, _hub.Hub);
            var call = HubOrders.EncodeMatch(orders);
            string onChain;
            try
            {
                var dealId = new Hash32((byte[])HubOrders.MatchOrders.DecodeOutput(await Call(call, Accounts.Of(Accounts.FunderKey)))[0]!);
                onChain = "match " + dealId;
            }
            catch (JsonRpcException e) when (e.RevertData.Length >= 4)
            {
                var decoded = HubOrders.TryDecodeRefusal(e.RevertData);
                onChain = decoded is { } d ? Verdict(d.Rule, d.Party) : "unexpected revert " + (HubOrders.Describe(e.RevertData) ?? Hex.Encode(e.RevertData));
            }

            var offChain = match is not null ? "match " + match.DealId : Verdict(refusal!.Rule, PartyOf(refusal));
            Assert.True(offChain == onChain, $"case {i}: the Domain says \"{offChain}\" ({refusal?.Message}), the hub \"{onChain}\"");
            verdicts[offChain.StartsWith("match", StringComparison.Ordinal) ? "match" : refusal!.Rule.ToString()] = verdicts.GetValueOrDefault(offChain.StartsWith("match", StringComparison.Ordinal) ? "match" : refusal!.Rule.ToString()) + 1;

            if (match is not null)
            {
                var receipt = await HubDeployment.SendAsync(_hub.Rpc, Accounts.FunderKey, _hub.Hub, call, BigInteger.Zero, 1_500_000);

                // The deal log is createDeal's: the listener maps it to the deal the Domain computed, for the requester who signed.
                var log = Assert.Single(receipt.Logs, l => l.Topics.Count > 0 && l.Topics[0] == HubContract.DealCreated.Topic0);
                Assert.True(Listening.DealCreatedMapping.TryMap(log, out var spec, out var error), error);
                Assert.Equal((match.DealId, (long)match.BotFirst, (int)match.Volume, orders.Request.Requester, orders.Workerpool.WorkerpoolPrice, orders.Request.Params),
                    (spec!.DealId, spec.BotFirst, spec.BotSize, spec.Requester, spec.TaskPrice, spec.Params));
                ledger.Apply(match, orders.HasDataset);
                matched.Add(orders);
            }
        }

        output.WriteLine("verdicts: " + string.Join(", ", verdicts.OrderByDescending(v => v.Value)));

        // The generator must reach the interesting verdicts, or agreeing proves little.
        Assert.True(verdicts.GetValueOrDefault("match") >= 20, "matches: " + string.Join(", ", verdicts));
        Assert.True(verdicts.Count >= 10, "verdicts reached: " + string.Join(", ", verdicts));
        foreach (var (digest, consumed) in ledger.ConsumedCounts)
        {
            var onChain = (BigInteger)HubOrders.ConsumedOf.DecodeOutput(await Call(HubOrders.ConsumedOf.EncodeCall(digest)))[0]!;
            Assert.Equal(consumed, onChain);
        }
    }

    // Parties the hub's errors name; UnknownAsset, category, trust and tag errors carry none.
    private static OrderParty? PartyOf(OrderRefusal refusal) => refusal.Rule switch
    {
        OrderRule.PriceAboveMax or OrderRule.AssetMismatch or OrderRule.Restricted or OrderRule.BadOrderSignature or OrderRule.VolumeExhausted => refusal.Party,
        _ => null,
    };

    private static string Verdict(OrderRule rule, OrderParty? party) => party is null ? rule.ToString() : $"{rule}({party})";

    // A matching set, then none, one or two random breaks of it (each break may or may not break a rule: a restriction
    // may name the right party, a price may still be covered), so both matches and every kind of refusal are reached.
    private OrderSet Generate(Random r, int index, List<OrderSet> matched)
    {
        if (matched.Count > 0 && r.Next(8) == 0)
        {
            return matched[r.Next(matched.Count)]; // replayed as signed: refused once any order is spent, else the next deal
        }

        var pool = Accounts.Of(Accounts.PoolOwnerKey);
        var requester = Accounts.Of(Accounts.RequesterKey);
        var other = Secp256k1.AddressOf(_outsiderKey);
        Hash32 Tag(params int[] bits) => Word(bits[r.Next(bits.Length)]);
        BigInteger Small(int max) => r.Next(max + 1);
        Address Either(Address party) => r.Next(2) == 0 ? party : other;

        var hasDataset = r.Next(4) != 0;
        var teeBits = r.Next(3) == 0 ? 3 : 0;
        var app = new AppOrder(_app, Small(3), 1 + Small(5), Word(teeBits), Address.Zero, Address.Zero, Address.Zero, Word(r.NextInt64()));
        var dataset = hasDataset
            ? new DatasetOrder(_dataset, Small(3), 1 + Small(5), Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, Word(r.NextInt64()))
            : DatasetOrder.None;
        var workerpool = new WorkerpoolOrder(pool, Small(3), 1 + Small(6), Word(teeBits == 0 ? 0 : 0xF), Small(4), 1 + Small(3),
            Address.Zero, Address.Zero, Address.Zero, Word(r.NextInt64()));
        var request = new RequestOrder(
            _app, app.AppPrice + Small(1), dataset.Dataset, dataset.DatasetPrice + Small(1), r.Next(2) == 0 ? pool : Address.Zero,
            workerpool.WorkerpoolPrice + Small(1), requester, 1 + Small(5), Word(teeBits), workerpool.Category, Small(1),
            requester, Address.Zero, "case " + index.ToString(CultureInfo.InvariantCulture), Word(r.NextInt64()));
        if (matched.Count > 0 && r.Next(8) == 0)
        {
            request = matched[r.Next(matched.Count)].Request; // a request matched before: its volume may be spent, its terms may not fit
        }

        var (appChain, appKey, poolKey, requestChain) = (ChainId, _appKey, Accounts.PoolOwnerKey, ChainId);
        var breaks = r.Next(10) switch { < 5 => 0, < 9 => 1, _ => 2 };
        for (var k = 0; k < breaks; k++)
        {
            switch (r.Next(22))
            {
                case 0: request = request with { Category = Small(6) }; break;
                case 1: workerpool = workerpool with { Category = 5 + Small(1) }; request = request with { Category = workerpool.Category }; break;
                case 2: request = request with { Trust = 1 + Small(6) }; break;
                case 3: request = request with { AppMaxPrice = BigInteger.Max(0, app.AppPrice - 1) }; break;
                case 4: request = request with { DatasetMaxPrice = BigInteger.Max(0, dataset.DatasetPrice - 1) }; break;
                case 5: request = request with { WorkerpoolMaxPrice = BigInteger.Max(0, workerpool.WorkerpoolPrice - 1) }; break;
                case 6: request = request with { Tag = Tag(1, 3, 5, 9, 0x10) }; break;
                case 7: workerpool = workerpool with { Tag = Tag(0, 1, 3, 0xB, 0xF) }; break;
                case 8: app = app with { Tag = Tag(0, 1, 3, 5) }; break;
                case 9: request = request with { App = Either(_app) }; break;
                case 10: request = request with { Dataset = Either(_dataset) }; break;
                case 11: request = request with { Workerpool = Either(pool) }; break;
                case 12: app = app with { DatasetRestrict = Either(_dataset), WorkerpoolRestrict = r.Next(2) == 0 ? Address.Zero : Either(pool) }; break;
                case 13: app = app with { RequesterRestrict = Either(requester) }; break;
                case 14: dataset = dataset with { AppRestrict = Either(_app), WorkerpoolRestrict = r.Next(2) == 0 ? Address.Zero : Either(pool) }; break;
                case 15: dataset = dataset with { RequesterRestrict = Either(requester) }; break;
                case 16: workerpool = workerpool with { AppRestrict = Either(_app), DatasetRestrict = r.Next(2) == 0 ? Address.Zero : Either(_dataset) }; break;
                case 17: workerpool = workerpool with { RequesterRestrict = Either(requester) }; break;
                case 18: (app, request) = (app with { App = other }, request with { App = other }); break;
                case 19: workerpool = workerpool with { Workerpool = other }; request = request with { Workerpool = Address.Zero }; break;
                case 20: (appChain, requestChain) = r.Next(2) == 0 ? (ChainId + 1, ChainId) : (ChainId, ChainId + 1); break;
                default: (appKey, poolKey) = r.Next(2) == 0 ? (_outsiderKey, poolKey) : (appKey, _outsiderKey); break;
            }
        }

        byte[] Sign(Hash32 structHash, byte[] key, ulong chain = ChainId)
            => Secp256k1.Sign(OrderDomain.Digest(chain, _hub.Hub, structHash).ToArray(), key).ToBytes65();

        return new OrderSet(
            app, Sign(app.StructHash(), appKey, appChain),
            dataset, dataset.Dataset.IsZero ? [] : Sign(dataset.StructHash(), _datasetKey),
            workerpool, Sign(workerpool.StructHash(), poolKey),
            request, Sign(request.StructHash(), Accounts.RequesterKey, requestChain));
    }

    private async Task<byte[]> Call(byte[] data, Address? from = null)
        => await _hub.Rpc.CallAsync(new CallRequest { From = from, To = _hub.Hub, Data = data }, BlockParameter.Latest);

    private static Hash32 Word(long value)
    {
        var bytes = new byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(24), value);
        return new Hash32(bytes);
    }
}
