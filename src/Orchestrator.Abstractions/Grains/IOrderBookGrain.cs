using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// The off-chain order book (one grain, key <see cref="OrderBookGrainKeys.Key"/>): the signed app, dataset and
/// workerpool orders published to this cluster. Callers check signatures and owners first
/// (<see cref="Domain.Orders.OrderPublication"/>); the grain keeps every digest it ever held, so a cancelled order stays
/// cancelled and is never published again.
/// </summary>
[Alias("orch.IOrderBookGrain")]
public interface IOrderBookGrain : IGrainWithStringKey
{
    /// <summary>Holds the order (publishing the same order again returns the held one); null when that order was cancelled.</summary>
    [Alias("publish")]
    Task<BookOrder?> PublishAsync(BookOrder order);

    /// <summary>Cancels the order for good (idempotent); null when the book never held it.</summary>
    [Alias("cancel")]
    Task<BookOrder?> CancelAsync(Hash32 digest);

    /// <summary>The order, open or not; null when the book never held it.</summary>
    [Alias("get")]
    Task<BookOrder?> GetAsync(Hash32 digest);

    /// <summary>
    /// Takes a match's volume from every order it names, all or nothing: null when taken, else one line naming
    /// <c>VolumeExhausted</c> (an order cancelled, no longer held, without that much volume left, or a request whose
    /// consumed count moved since the match read it: a replayed or concurrent match).
    /// </summary>
    [Alias("consume")]
    Task<string?> ConsumeAsync(BookConsumption consumption);

    /// <summary>Gives back what <see cref="ConsumeAsync"/> took, when the deal could not be created after all.</summary>
    [Alias("release")]
    Task ReleaseAsync(BookConsumption consumption);

    /// <summary>
    /// Takes the volume of a match the chain listener saw on the hub (a requester who called matchOrders directly, not
    /// through this book): true when taken; false when the book took that deal's volume already (an API match, or the
    /// same log seen again) or holds none of its orders. <see cref="BookConsumption.BotFirst"/> is not read.
    /// </summary>
    [Alias("observe-match")]
    Task<bool> ObserveMatchAsync(Hash32 dealId, BookConsumption consumption);

    /// <summary>How many tasks of the requester's order (by digest) were matched through this book.</summary>
    [Alias("request-consumed")]
    Task<string> RequestConsumedAsync(Hash32 request);

    /// <summary>Up to <paramref name="count"/> open orders with a digest above <paramref name="after"/>, by digest, optionally of one kind or asset.</summary>
    [Alias("list")]
    Task<IReadOnlyList<BookOrder>> ListAsync(BookOrderKind? kind, Address? asset, Hash32 after, int count);
}

/// <summary>How the order book grain is reached.</summary>
public static class OrderBookGrainKeys
{
    /// <summary>The book's one key.</summary>
    public const string Key = "orders";

    /// <summary>The order book.</summary>
    public static IOrderBookGrain OrderBook(this IGrainFactory factory) => StringKeyedGrains<IOrderBookGrain>.Get(factory, Key);
}
