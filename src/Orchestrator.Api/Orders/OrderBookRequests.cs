using System.Globalization;
using System.Numerics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>orchestrator.orders.v1 messages to the Domain's orders and the book's entries, and back; each malformed field is INVALID_ARGUMENT naming it.</summary>
internal static class OrderBookRequests
{
    private static readonly BigInteger MaxUint256 = (BigInteger.One << 256) - 1;

    /// <summary>A parsed order: its Domain form's digest, its book entry (owner and time filled in by the caller).</summary>
    public sealed record Parsed(BookOrderKind Kind, object Order, Hash32 StructHash, byte[] Signature, BookOrder Entry);

    public static Parsed Parse(Proto.Order? order, DateTimeOffset now)
    {
        if (order is null)
        {
            throw Require.Invalid("order: is required");
        }

        var parsed = ParseUnsigned(order, now);
        return order.Signature.Length == 65
            ? parsed
            : throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unauthenticated,
                $"order.signature: 65 bytes r ‖ s ‖ v over the order's EIP-712 digest are required, got {order.Signature.Length}"));
    }

    /// <summary>Parses every field but the signature (which a signer is about to add).</summary>
    public static Parsed ParseUnsigned(Proto.Order order, DateTimeOffset now)
    {

        var asset = Require.Address(order.Asset, "order.asset");
        var price = Uint(order.Price, "order.price");
        var volume = Uint(order.Volume, "order.volume");
        var tag = HashOrZero(order.Tag, "order.tag");
        var salt = HashOrZero(order.Salt, "order.salt");
        var appRestrict = Require.AddressOrZero(order.AppRestrict, "order.app_restrict");
        var datasetRestrict = Require.AddressOrZero(order.DatasetRestrict, "order.dataset_restrict");
        var poolRestrict = Require.AddressOrZero(order.WorkerpoolRestrict, "order.workerpool_restrict");
        var requesterRestrict = Require.AddressOrZero(order.RequesterRestrict, "order.requester_restrict");
        var category = Uint(order.Category, "order.category");
        var trust = Uint(order.Trust, "order.trust");

        (BookOrderKind kind, object domain, Hash32 structHash) = order.Kind switch
        {
            Proto.OrderKind.App => Absent(appRestrict, "order.app_restrict", "an app order") ?? Absent(category, trust, "an app order")
                ?? Build(BookOrderKind.App, new AppOrder(asset, price, volume, tag, datasetRestrict, poolRestrict, requesterRestrict, salt)),
            Proto.OrderKind.Dataset => Absent(datasetRestrict, "order.dataset_restrict", "a dataset order") ?? Absent(category, trust, "a dataset order")
                ?? Build(BookOrderKind.Dataset, new DatasetOrder(asset, price, volume, tag, appRestrict, poolRestrict, requesterRestrict, salt)),
            Proto.OrderKind.Workerpool => Absent(poolRestrict, "order.workerpool_restrict", "a workerpool order")
                ?? Build(BookOrderKind.Workerpool, new WorkerpoolOrder(asset, price, volume, tag, category, trust, appRestrict, datasetRestrict, requesterRestrict, salt)),
            _ => throw Require.Invalid($"order.kind: must be ORDER_KIND_APP, ORDER_KIND_DATASET or ORDER_KIND_WORKERPOOL, got {order.Kind}"),
        };

        var entry = new BookOrder(kind, Hash32.Zero, Address.Zero, asset, Text(price), Text(volume), tag, Text(category), Text(trust),
            appRestrict, datasetRestrict, poolRestrict, requesterRestrict, salt, Hex.Encode(order.Signature.Span), "0", false, now);
        return new Parsed(kind, domain, structHash, order.Signature.ToByteArray(), entry);
    }

    public static Proto.BookOrder ToProto(BookOrder order) => new()
    {
        Order = new Proto.Order
        {
            Kind = (Proto.OrderKind)(int)order.Kind,
            Asset = order.Asset.ToLowerHex(),
            Price = order.Price,
            Volume = order.Volume,
            Tag = order.Tag.ToString(),
            Category = order.Category,
            Trust = order.Trust,
            AppRestrict = order.AppRestrict.ToLowerHex(),
            DatasetRestrict = order.DatasetRestrict.ToLowerHex(),
            WorkerpoolRestrict = order.WorkerpoolRestrict.ToLowerHex(),
            RequesterRestrict = order.RequesterRestrict.ToLowerHex(),
            Salt = order.Salt.ToString(),
            Signature = ByteString.CopyFrom(Hex.Decode(order.SignatureHex)),
        },
        Hash = order.Digest.ToString(),
        Owner = order.Owner.ToLowerHex(),
        Consumed = order.Consumed,
        Cancelled = order.Cancelled,
        PublishedAt = Timestamp.FromDateTimeOffset(order.PublishedAt),
        ExpiresAt = order.ExpiresAt is { } expiry ? Timestamp.FromDateTimeOffset(expiry) : null,
    };

    private static (BookOrderKind, object, Hash32) Build(BookOrderKind kind, AppOrder order) => (kind, order, order.StructHash());

    private static (BookOrderKind, object, Hash32) Build(BookOrderKind kind, DatasetOrder order) => (kind, order, order.StructHash());

    private static (BookOrderKind, object, Hash32) Build(BookOrderKind kind, WorkerpoolOrder order) => (kind, order, order.StructHash());

    private static (BookOrderKind, object, Hash32)? Absent(Address value, string field, string what)
        => value.IsZero ? null : throw Require.Invalid($"{field}: {what} has no such field in PoCo's type; leave it empty");

    private static (BookOrderKind, object, Hash32)? Absent(BigInteger category, BigInteger trust, string what)
        => category.IsZero && trust.IsZero ? null : throw Require.Invalid($"order.category, order.trust: {what} has neither in PoCo's type; leave them empty");

    internal static Hash32 HashOrZero(string value, string field) => string.IsNullOrEmpty(value) ? Hash32.Zero : Require.Hash(value, field);

    internal static BigInteger Uint(string value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return BigInteger.Zero;
        }

        return value.Length <= 78 && value.All(char.IsAsciiDigit) && BigInteger.Parse(value, CultureInfo.InvariantCulture) is var parsed && parsed <= MaxUint256
            ? parsed
            : throw Require.Invalid($"{field}: a decimal uint256 is required (got \"{(value.Length > 80 ? value[..80] + "…" : value)}\")");
    }

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
