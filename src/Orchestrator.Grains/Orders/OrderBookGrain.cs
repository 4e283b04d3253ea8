using System.Globalization;
using System.Numerics;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Orders;

/// <summary>The order book's persisted state (state name "order-book").</summary>
[GenerateSerializer, Alias("orch.state.order-book.v1")]
public sealed class OrderBookState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;

    /// <summary>Every order ever held, cancelled ones included (so they cannot come back), by digest.</summary>
    [Id(1)] public Dictionary<Hash32, BookOrder> Orders { get; set; } = [];

    /// <summary>Tasks matched of each requester's order (by digest): the next match's botFirst.</summary>
    [Id(2)] public Dictionary<Hash32, string> RequestsConsumed { get; set; } = [];

    /// <summary>
    /// The deals whose volume this book already took, by PoCo's deal id: those matched through the API (taken before
    /// the transaction) and those the chain listener saw matched on the hub. A hub match seen again is not taken twice.
    /// </summary>
    [Id(3)] public HashSet<Hash32> MatchedDeals { get; set; } = [];
}

/// <summary>The off-chain order book; a refused call (cancelled order republished) writes nothing.</summary>
public sealed class OrderBookGrain(
    [PersistentState("order-book", StorageNames.Default)] IPersistentState<OrderBookState> state,
    OrchestratorClock clock) : Grain, IOrderBookGrain
{
    public async Task<BookOrder?> PublishAsync(BookOrder order)
    {
        if (state.State.Orders.TryGetValue(order.Digest, out var held))
        {
            return held.Cancelled ? null : held;
        }

        state.State.Orders[order.Digest] = order;
        await state.WriteOrResetAsync(this);
        return order;
    }

    public async Task<BookOrder?> CancelAsync(Hash32 digest)
    {
        if (!state.State.Orders.TryGetValue(digest, out var held))
        {
            return null;
        }

        if (!held.Cancelled)
        {
            held = held with { Cancelled = true };
            state.State.Orders[digest] = held;
            await state.WriteOrResetAsync(this);
        }

        return held;
    }

    public async Task<string?> ConsumeAsync(BookConsumption consumption)
    {
        var volume = Amount(consumption.Volume);
        var consumed = Amount(state.State.RequestsConsumed.GetValueOrDefault(consumption.Request, "0"));
        if (consumed != Amount(consumption.BotFirst))
        {
            return $"VolumeExhausted: the request order {consumption.Request} had {consumed} tasks matched, not {consumption.BotFirst} as this match read (rule: a replayed or concurrent match is refused)";
        }

        foreach (var digest in consumption.Orders)
        {
            if (state.State.Orders.GetValueOrDefault(digest) is { } expiring && expiring.IsExpiredAt(clock.UtcNow))
            {
                return $"OrderExpired: order {digest} expired at {expiring.ExpiresAt:O} (rule: the book matches an order only before its publication's expires_at)";
            }

            if (!state.State.Orders.TryGetValue(digest, out var held) || held.Cancelled || Amount(held.Volume) - Amount(held.Consumed) < volume)
            {
                return $"VolumeExhausted: order {digest} has fewer than {volume} tasks left (rule: consumed, cancelled and replayed orders cannot be matched)";
            }
        }

        Apply(consumption, volume);
        state.State.MatchedDeals.Add(DealOf(consumption));
        await state.WriteOrResetAsync(this);
        return null;
    }

    public async Task ReleaseAsync(BookConsumption consumption)
    {
        Apply(consumption, -Amount(consumption.Volume));
        state.State.MatchedDeals.Remove(DealOf(consumption));
        await state.WriteOrResetAsync(this);
    }

    public async Task<bool> ObserveMatchAsync(Hash32 dealId, BookConsumption consumption)
    {
        if (state.State.MatchedDeals.Contains(dealId) || !consumption.Orders.Any(state.State.Orders.ContainsKey))
        {
            return false; // taken already (through the API, or seen before), or a match of orders this book never held
        }

        Apply(consumption, Amount(consumption.Volume));
        state.State.MatchedDeals.Add(dealId);
        await state.WriteOrResetAsync(this);
        return true;
    }

    public Task<string> RequestConsumedAsync(Hash32 request) => Task.FromResult(state.State.RequestsConsumed.GetValueOrDefault(request, "0"));

    public Task<BookOrder?> GetAsync(Hash32 digest) => Task.FromResult(state.State.Orders.GetValueOrDefault(digest));

    public Task<IReadOnlyList<BookOrder>> ListAsync(BookOrderKind? kind, Address? asset, Hash32 after, int count)
        => Task.FromResult<IReadOnlyList<BookOrder>>(state.State.Orders.Values
            .Where(o => o.Digest > after && o.IsOpenAt(clock.UtcNow) && (kind is null || o.Kind == kind) && (asset is null || o.Asset == asset))
            .OrderBy(o => o.Digest)
            .Take(count)
            .ToList());

    private void Apply(BookConsumption consumption, BigInteger delta)
    {
        foreach (var digest in consumption.Orders)
        {
            if (state.State.Orders.TryGetValue(digest, out var held))
            {
                state.State.Orders[digest] = held with { Consumed = Text(BigInteger.Max(0, Amount(held.Consumed) + delta)) };
            }
        }

        var request = BigInteger.Max(0, Amount(state.State.RequestsConsumed.GetValueOrDefault(consumption.Request, "0")) + delta);
        state.State.RequestsConsumed[consumption.Request] = Text(request);
    }

    /// <summary>The deal a match creates: PoCo's id of the request's digest and the tasks of it matched before.</summary>
    private static Hash32 DealOf(BookConsumption consumption) => ProtocolIds.DealId(consumption.Request, Amount(consumption.BotFirst));

    private static BigInteger Amount(string text) => BigInteger.Parse(text, CultureInfo.InvariantCulture);

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
