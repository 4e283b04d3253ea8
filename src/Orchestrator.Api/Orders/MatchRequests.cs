using System.Globalization;
using System.Numerics;
using Grpc.Core;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>orchestrator.orders.v1 request orders to the Domain's, and the book's held orders back to the Domain's, for matching.</summary>
internal static class MatchRequests
{
    /// <summary>The largest params string a request order carries (a deal's, as the admin API allows).</summary>
    public const int MaxParamsChars = Admin.AdminMapping.MaxParamsChars;

    /// <summary>The request order and its 65-byte signature; INVALID_ARGUMENT naming a malformed field, UNAUTHENTICATED without a signature.</summary>
    public static (RequestOrder Order, byte[] Signature) Parse(Proto.RequestOrder? order)
    {
        if (order is null)
        {
            throw Require.Invalid("request: is required");
        }

        var parsed = ParseUnsigned(order);
        return order.Signature.Length == 65
            ? (parsed, order.Signature.ToByteArray())
            : throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"request.signature: the requester's 65 bytes r ‖ s ‖ v over the order's EIP-712 digest are required, got {order.Signature.Length}"));
    }

    /// <summary>Every field but the signature.</summary>
    public static RequestOrder ParseUnsigned(Proto.RequestOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        return new RequestOrder(
            Require.Address(order.App, "request.app"),
            OrderBookRequests.Uint(order.AppMaxPrice, "request.app_max_price"),
            Require.AddressOrZero(order.Dataset, "request.dataset"),
            OrderBookRequests.Uint(order.DatasetMaxPrice, "request.dataset_max_price"),
            Require.AddressOrZero(order.Workerpool, "request.workerpool"),
            OrderBookRequests.Uint(order.WorkerpoolMaxPrice, "request.workerpool_max_price"),
            Require.Address(order.Requester, "request.requester"),
            OrderBookRequests.Uint(order.Volume, "request.volume"),
            OrderBookRequests.HashOrZero(order.Tag, "request.tag"),
            OrderBookRequests.Uint(order.Category, "request.category"),
            OrderBookRequests.Uint(order.Trust, "request.trust"),
            Require.AddressOrZero(order.Beneficiary, "request.beneficiary"),
            Require.AddressOrZero(order.Callback, "request.callback"),
            Require.Text(order.Params, MaxParamsChars, "request.params"),
            OrderBookRequests.HashOrZero(order.Salt, "request.salt"));
    }

    /// <summary>The held app order as the Domain's.</summary>
    public static AppOrder App(BookOrder o)
        => new(o.Asset, Amount(o.Price), Amount(o.Volume), o.Tag, o.DatasetRestrict, o.WorkerpoolRestrict, o.RequesterRestrict, o.Salt);

    /// <summary>The held dataset order as the Domain's; PoCo's empty dataset order (all zero) when there is none.</summary>
    public static DatasetOrder Dataset(BookOrder? o) => o is null
        ? new(Address.Zero, 0, 0, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, Hash32.Zero)
        : new(o.Asset, Amount(o.Price), Amount(o.Volume), o.Tag, o.AppRestrict, o.WorkerpoolRestrict, o.RequesterRestrict, o.Salt);

    /// <summary>The held workerpool order as the Domain's.</summary>
    public static WorkerpoolOrder Workerpool(BookOrder o)
        => new(o.Asset, Amount(o.Price), Amount(o.Volume), o.Tag, Amount(o.Category), Amount(o.Trust), o.AppRestrict, o.DatasetRestrict, o.RequesterRestrict, o.Salt);

    /// <summary>The held order's signature (empty for the absent dataset).</summary>
    public static byte[] Signature(BookOrder? o) => o is null ? [] : Hex.Decode(o.SignatureHex);

    private static BigInteger Amount(string text) => BigInteger.Parse(text, CultureInfo.InvariantCulture);
}

/// <summary>
/// The hub's state as the book knows it, for <see cref="OrderMatching"/>: the held orders' consumed counts (a cancelled
/// order counts as consumed, PoCo's rule), the request's matched count, the held orders' signers as the assets' owners
/// (checked against the registry when published) and this cluster's pool.
/// </summary>
internal sealed class BookLedger(IReadOnlyList<BookOrder> held, Hash32 request, BigInteger requestConsumed, Address pool) : IOrderLedger
{
    public BigInteger Consumed(Hash32 orderDigest)
    {
        if (orderDigest == request)
        {
            return requestConsumed;
        }

        var order = held.FirstOrDefault(o => o.Digest == orderDigest);
        return order is null ? BigInteger.Zero
            : order.Cancelled ? BigInteger.Parse(order.Volume, CultureInfo.InvariantCulture)
            : BigInteger.Parse(order.Consumed, CultureInfo.InvariantCulture);
    }

    public Address? AppOwner(Address app) => held.FirstOrDefault(o => o.Kind == BookOrderKind.App && o.Asset == app)?.Owner;

    public Address? DatasetOwner(Address dataset) => held.FirstOrDefault(o => o.Kind == BookOrderKind.Dataset && o.Asset == dataset)?.Owner;

    public bool IsPool(Address candidate) => candidate == pool;
}
