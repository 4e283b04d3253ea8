using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Messages;

/// <summary>Which of PoCo's sell-side orders a book entry is (request orders are matched, never held).</summary>
[GenerateSerializer]
public enum BookOrderKind
{
    /// <summary>An app owner's AppOrder.</summary>
    App = 1,

    /// <summary>A dataset owner's DatasetOrder.</summary>
    Dataset = 2,

    /// <summary>The pool owner's WorkerpoolOrder.</summary>
    Workerpool = 3,
}

/// <summary>
/// One signed order held by the off-chain order book, keyed by its EIP-712 digest under the hub's domain (what the hub
/// consumes). The fields every kind shares are here; a field a kind lacks is zero (an app order's app restriction, a
/// non-pool order's category and trust). Amounts are decimal wei, as in the registry.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.book-order.v1")]
public sealed record BookOrder(
    [property: Id(0)] BookOrderKind Kind,
    [property: Id(1)] Hash32 Digest,
    [property: Id(2)] Address Owner,
    [property: Id(3)] Address Asset,
    [property: Id(4)] string Price,
    [property: Id(5)] string Volume,
    [property: Id(6)] Hash32 Tag,
    [property: Id(7)] string Category,
    [property: Id(8)] string Trust,
    [property: Id(9)] Address AppRestrict,
    [property: Id(10)] Address DatasetRestrict,
    [property: Id(11)] Address WorkerpoolRestrict,
    [property: Id(12)] Address RequesterRestrict,
    [property: Id(13)] Hash32 Salt,
    [property: Id(14)] string SignatureHex,
    [property: Id(15)] string Consumed,
    [property: Id(16)] bool Cancelled,
    [property: Id(17)] DateTimeOffset PublishedAt)
{
    /// <summary>
    /// When the book stops listing and matching the order (null: never). The publication's, not the order's: PoCo v5's
    /// orders carry no expiry and their type strings stay PoCo's, so the hub itself never expires an order.
    /// </summary>
    [Id(18)]
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Open at <paramref name="now"/>: open and not expired.</summary>
    public bool IsOpenAt(DateTimeOffset now) => IsOpen && !IsExpiredAt(now);

    /// <summary>True once the publication's expiry has passed.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt is { } expiry && now >= expiry;

    /// <summary>Open: not cancelled and some volume left.</summary>
    public bool IsOpen => !Cancelled && System.Numerics.BigInteger.Parse(Consumed, System.Globalization.CultureInfo.InvariantCulture) < System.Numerics.BigInteger.Parse(Volume, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What a match takes from the book: <see cref="Volume"/> tasks of each held order (app, dataset when there is one,
/// workerpool) and of the requester's order, whose consumed count the match read as <see cref="BotFirst"/>. Amounts are
/// decimal, as in <see cref="BookOrder"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.book-consumption.v1")]
public sealed record BookConsumption(
    [property: Id(0)] IReadOnlyList<Hash32> Orders,
    [property: Id(1)] Hash32 Request,
    [property: Id(2)] string BotFirst,
    [property: Id(3)] string Volume);
