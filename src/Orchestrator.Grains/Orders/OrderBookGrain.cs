using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
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
}

/// <summary>The off-chain order book; a refused call (cancelled order republished) writes nothing.</summary>
public sealed class OrderBookGrain(
    [PersistentState("order-book", StorageNames.Default)] IPersistentState<OrderBookState> state) : Grain, IOrderBookGrain
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

    public Task<BookOrder?> GetAsync(Hash32 digest) => Task.FromResult(state.State.Orders.GetValueOrDefault(digest));

    public Task<IReadOnlyList<BookOrder>> ListAsync(BookOrderKind? kind, Address? asset, Hash32 after, int count)
        => Task.FromResult<IReadOnlyList<BookOrder>>(state.State.Orders.Values
            .Where(o => o.Digest > after && o.IsOpen && (kind is null || o.Kind == kind) && (asset is null || o.Asset == asset))
            .OrderBy(o => o.Digest)
            .Take(count)
            .ToList());
}
