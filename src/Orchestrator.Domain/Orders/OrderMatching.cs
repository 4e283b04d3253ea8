using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Orders;

/// <summary>What matching reads of the hub's state: consumed volumes and who owns what.</summary>
public interface IOrderLedger
{
    /// <summary>How many tasks of the order (by its EIP-712 digest) were sold or cancelled.</summary>
    BigInteger Consumed(Hash32 orderDigest);

    /// <summary>The app's registered owner, or null when the app is not registered.</summary>
    Address? AppOwner(Address app);

    /// <summary>The dataset's registered owner, or null when the dataset is not registered.</summary>
    Address? DatasetOwner(Address dataset);

    /// <summary>True when the pool (its owner's address) is registered.</summary>
    bool IsPool(Address pool);
}

/// <summary>The four orders of a match and their 65-byte signatures (r ‖ s ‖ v); the dataset's are empty without one.</summary>
public sealed record OrderSet(
    AppOrder App, byte[] AppSignature,
    DatasetOrder Dataset, byte[] DatasetSignature,
    WorkerpoolOrder Workerpool, byte[] WorkerpoolSignature,
    RequestOrder Request, byte[] RequestSignature)
{
    /// <summary>True when the request names a dataset.</summary>
    public bool HasDataset => !Dataset.Dataset.IsZero;
}

/// <summary>The deal a match creates.</summary>
/// <param name="DealId">keccak256(requestDigest ‖ botFirst), PoCo's rule.</param>
/// <param name="BotFirst">The request order's consumed count before the match.</param>
/// <param name="Volume">The smallest remaining volume of the orders: the deal's task count.</param>
/// <param name="Tag">app.tag | dataset.tag | request.tag.</param>
/// <param name="AppDigest">The app order's EIP-712 digest (its consumed key).</param>
/// <param name="DatasetDigest">The dataset order's digest, zero without a dataset.</param>
/// <param name="WorkerpoolDigest">The pool order's digest.</param>
/// <param name="RequestDigest">The request order's digest.</param>
public sealed record OrderMatch(
    Hash32 DealId, BigInteger BotFirst, BigInteger Volume, Hash32 Tag,
    Hash32 AppDigest, Hash32 DatasetDigest, Hash32 WorkerpoolDigest, Hash32 RequestDigest);

/// <summary>
/// PoCo's matching rules (IexecPoco1's matchOrders) as pure code, in the order the hub contract checks them, plus the
/// hub's own deal rules (valid TEE tag, trust ≤ 1 for TEE, task indices within 8 bytes). A refusal names the first rule
/// broken. Restrictions are single addresses (PoCo also accepts ERC-734 identity groups; this hub has none).
/// </summary>
public static class OrderMatching
{
    /// <summary>Categories the hub knows: 0 XS .. 4 XL.</summary>
    public const int CategoryCount = 5;

    private static readonly BigInteger MaxIndex = ulong.MaxValue;

    private static readonly BigInteger HalfN = BigInteger.Parse(
        "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0", System.Globalization.NumberStyles.HexNumber);

    /// <summary>Checks every rule; returns the deal the match creates, or the refusal.</summary>
    public static (OrderMatch? Match, OrderRefusal? Refusal) Match(OrderSet orders, IOrderLedger ledger, ulong chainId, Address hub)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(ledger);
        var (app, dataset, pool, request) = (orders.App, orders.Dataset, orders.Workerpool, orders.Request);
        var tag = Or(Or(app.Tag, dataset.Tag), request.Tag);

        var refusal = Terms(app, dataset, pool, request, tag) ?? Restrictions(app, dataset, pool, request);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var appDigest = OrderDomain.Digest(chainId, hub, app.StructHash());
        var appOwner = ledger.AppOwner(app.App);
        if (appOwner is null)
        {
            return Refuse(OrderRule.UnknownAsset, OrderParty.App, $"app {app.App.ToLowerHex()} is not registered on the hub (rule: only registered assets and pools sell through orders)");
        }

        if (!SignedBy(appDigest, orders.AppSignature, appOwner.Value))
        {
            return Refuse(OrderRule.BadOrderSignature, OrderParty.App, "the app order is not signed by the app's owner under the hub's domain (rule: each order is signed by its owner under this hub's EIP-712 domain and chain id)");
        }

        var datasetDigest = Hash32.Zero;
        if (orders.HasDataset)
        {
            datasetDigest = OrderDomain.Digest(chainId, hub, dataset.StructHash());
            var datasetOwner = ledger.DatasetOwner(dataset.Dataset);
            if (datasetOwner is null)
            {
                return Refuse(OrderRule.UnknownAsset, OrderParty.Dataset, $"dataset {dataset.Dataset.ToLowerHex()} is not registered on the hub (rule: only registered assets and pools sell through orders)");
            }

            if (!SignedBy(datasetDigest, orders.DatasetSignature, datasetOwner.Value))
            {
                return Refuse(OrderRule.BadOrderSignature, OrderParty.Dataset, "the dataset order is not signed by the dataset's owner under the hub's domain (rule: each order is signed by its owner under this hub's EIP-712 domain and chain id)");
            }
        }

        var poolDigest = OrderDomain.Digest(chainId, hub, pool.StructHash());
        if (!ledger.IsPool(pool.Workerpool))
        {
            return Refuse(OrderRule.UnknownAsset, OrderParty.Workerpool, $"pool {pool.Workerpool.ToLowerHex()} is not registered on the hub (rule: only registered assets and pools sell through orders)");
        }

        if (!SignedBy(poolDigest, orders.WorkerpoolSignature, pool.Workerpool))
        {
            return Refuse(OrderRule.BadOrderSignature, OrderParty.Workerpool, "the workerpool order is not signed by the pool's owner under the hub's domain (rule: each order is signed by its owner under this hub's EIP-712 domain and chain id)");
        }

        var requestDigest = OrderDomain.Digest(chainId, hub, request.StructHash());
        if (!SignedBy(requestDigest, orders.RequestSignature, request.Requester))
        {
            return Refuse(OrderRule.BadOrderSignature, OrderParty.Request, "the request order is not signed by its requester under the hub's domain (rule: each order is signed by its owner under this hub's EIP-712 domain and chain id)");
        }

        var (volume, party) = Remaining(ledger, app.Volume, appDigest, OrderParty.App, BigInteger.MinusOne, OrderParty.App);
        if (orders.HasDataset)
        {
            (volume, party) = Remaining(ledger, dataset.Volume, datasetDigest, OrderParty.Dataset, volume, party);
        }

        (volume, party) = Remaining(ledger, pool.Volume, poolDigest, OrderParty.Workerpool, volume, party);
        (volume, party) = Remaining(ledger, request.Volume, requestDigest, OrderParty.Request, volume, party);
        if (volume.IsZero)
        {
            return Refuse(OrderRule.VolumeExhausted, party,
                $"the {Describe(party)} order has no volume left (rule: consumed, cancelled and replayed orders cannot be matched)");
        }

        var botFirst = ledger.Consumed(requestDigest);
        if (botFirst > MaxIndex || volume > MaxIndex - botFirst + 1)
        {
            return Refuse(OrderRule.BotOutOfRange, OrderParty.Request, "the deal's task indices would not fit 8 bytes (rule: botFirst + volume ≤ 2^64)");
        }

        return (new OrderMatch(ProtocolIds.DealId(requestDigest, botFirst), botFirst, volume, tag, appDigest, datasetDigest, poolDigest, requestDigest), null);
    }

    /// <summary>True when <paramref name="signature"/> is r ‖ s ‖ v with v 27/28 and low s (as ecrecover on the hub) and recovers to <paramref name="signer"/>.</summary>
    public static bool SignedBy(Hash32 digest, ReadOnlySpan<byte> signature, Address signer)
    {
        if (signature.Length != 65 || signature[64] is not (27 or 28)
            || new BigInteger(signature[32..64], isUnsigned: true, isBigEndian: true) > HalfN
            || !Signature.TryFromBytes65(signature, out var parsed, out _))
        {
            return false;
        }

        return Secp256k1.TryRecoverAddress(digest.ToArray(), parsed!, out var recovered) && recovered == signer;
    }

    private static OrderRefusal? Terms(AppOrder app, DatasetOrder dataset, WorkerpoolOrder pool, RequestOrder request, Hash32 tag)
    {
        if (request.Category != pool.Category)
        {
            return new(OrderRule.CategoryMismatch, OrderParty.Request, $"the request's category {request.Category} is not the pool order's {pool.Category} (rule: same category)");
        }

        if (request.Category >= CategoryCount)
        {
            return new(OrderRule.UnknownCategory, OrderParty.Request, $"category {request.Category} is unknown (rule: 0 XS .. {CategoryCount - 1} XL)");
        }

        if (request.Trust > pool.Trust)
        {
            return new(OrderRule.TrustAboveOffer, OrderParty.Request, $"the request asks trust {request.Trust}, the pool order offers {pool.Trust} (rule: requested trust ≤ the pool's)");
        }

        if (app.AppPrice > request.AppMaxPrice)
        {
            return new(OrderRule.PriceAboveMax, OrderParty.App, $"the app price {app.AppPrice} is above the request's max {request.AppMaxPrice} (rule: each price ≤ its max price)");
        }

        if (dataset.DatasetPrice > request.DatasetMaxPrice)
        {
            return new(OrderRule.PriceAboveMax, OrderParty.Dataset, $"the dataset price {dataset.DatasetPrice} is above the request's max {request.DatasetMaxPrice} (rule: each price ≤ its max price)");
        }

        if (pool.WorkerpoolPrice > request.WorkerpoolMaxPrice)
        {
            return new(OrderRule.PriceAboveMax, OrderParty.Workerpool, $"the pool price {pool.WorkerpoolPrice} is above the request's max {request.WorkerpoolMaxPrice} (rule: each price ≤ its max price)");
        }

        var asked = Word(tag);
        var offered = Word(pool.Tag);
        if ((asked & ~offered & Mask256) != 0)
        {
            return new(OrderRule.TagNotOffered, OrderParty.Workerpool, $"the tag bits {tag} asked by the request, app and dataset are not all offered by the pool's tag {pool.Tag} (rule: asked ⊆ offered)");
        }

        if (((asked ^ Word(app.Tag)) & 1) != 0)
        {
            return new(OrderRule.TeeAppRequired, OrderParty.App, "a TEE deal needs the app order's own tag to carry the TEE bit 0x1 (rule: only TEE apps run in TEE deals)");
        }

        var low = (int)(asked & 0xF);
        if (low is not (0 or 0x3 or 0x5 or 0x9))
        {
            return new(OrderRule.InvalidTag, OrderParty.Request, $"the deal's tag bits 0x{low:x} are not a valid TEE tag (rule: 0x0, 0x3, 0x5 or 0x9)");
        }

        if (low != 0 && request.Trust > 1)
        {
            return new(OrderRule.InvalidTrust, OrderParty.Request, $"a TEE deal accepts trust 0 or 1, the request asks {request.Trust} (rule: TEE deals run on one enclave's word)");
        }

        if (request.App != app.App)
        {
            return new(OrderRule.AssetMismatch, OrderParty.App, $"the request names app {request.App.ToLowerHex()}, the app order sells {app.App.ToLowerHex()} (rule: same app)");
        }

        return request.Dataset != dataset.Dataset
            ? new(OrderRule.AssetMismatch, OrderParty.Dataset, $"the request names dataset {request.Dataset.ToLowerHex()}, the dataset order sells {dataset.Dataset.ToLowerHex()} (rule: same dataset)")
            : null;
    }

    private static OrderRefusal? Restrictions(AppOrder app, DatasetOrder dataset, WorkerpoolOrder pool, RequestOrder request)
    {
        // PoCo's order: the request's pool, then each order's restrictions on the other parties.
        (Address Restriction, Address Party, OrderParty Order, string What)[] checks =
        [
            (request.Workerpool, pool.Workerpool, OrderParty.Request, "the request's workerpool"),
            (app.DatasetRestrict, dataset.Dataset, OrderParty.App, "the app order's datasetrestrict"),
            (app.WorkerpoolRestrict, pool.Workerpool, OrderParty.App, "the app order's workerpoolrestrict"),
            (app.RequesterRestrict, request.Requester, OrderParty.App, "the app order's requesterrestrict"),
            (dataset.AppRestrict, app.App, OrderParty.Dataset, "the dataset order's apprestrict"),
            (dataset.WorkerpoolRestrict, pool.Workerpool, OrderParty.Dataset, "the dataset order's workerpoolrestrict"),
            (dataset.RequesterRestrict, request.Requester, OrderParty.Dataset, "the dataset order's requesterrestrict"),
            (pool.AppRestrict, app.App, OrderParty.Workerpool, "the pool order's apprestrict"),
            (pool.DatasetRestrict, dataset.Dataset, OrderParty.Workerpool, "the pool order's datasetrestrict"),
            (pool.RequesterRestrict, request.Requester, OrderParty.Workerpool, "the pool order's requesterrestrict"),
        ];
        foreach (var (restriction, party, order, what) in checks)
        {
            if (!restriction.IsZero && restriction != party)
            {
                return new(OrderRule.Restricted, order,
                    $"{what} {restriction.ToLowerHex()} excludes {(party.IsZero ? "the absent party" : party.ToLowerHex())} (rule: a restriction is zero or names the counterparty)");
            }
        }

        return null;
    }

    private static (BigInteger Volume, OrderParty Party) Remaining(
        IOrderLedger ledger, BigInteger volume, Hash32 digest, OrderParty party, BigInteger smallest, OrderParty smallestParty)
    {
        var consumed = ledger.Consumed(digest);
        var left = consumed >= volume ? BigInteger.Zero : volume - consumed;
        return smallest.Sign < 0 || left < smallest ? (left, party) : (smallest, smallestParty);
    }

    private static readonly BigInteger Mask256 = (BigInteger.One << 256) - 1;

    private static BigInteger Word(Hash32 value) => new(value.ToArray(), isUnsigned: true, isBigEndian: true);

    private static Hash32 Or(Hash32 a, Hash32 b)
    {
        var (x, y) = (a.ToArray(), b.ToArray());
        for (var i = 0; i < 32; i++)
        {
            x[i] |= y[i];
        }

        return new Hash32(x);
    }

    private static string Describe(OrderParty party) => party switch
    {
        OrderParty.App => "app",
        OrderParty.Dataset => "dataset",
        OrderParty.Workerpool => "workerpool",
        _ => "request",
    };

    private static (OrderMatch?, OrderRefusal?) Refuse(OrderRule rule, OrderParty party, string message) => (null, new(rule, party, message));
}
