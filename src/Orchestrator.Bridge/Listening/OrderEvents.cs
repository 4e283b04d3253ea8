using System.Globalization;
using System.Numerics;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Listening;

/// <summary>
/// Mirrors what happens to the book's orders on the hub itself: a requester may call matchOrders directly and an owner
/// may cancel on chain, without the pool's API. An <c>OrdersMatched</c> log takes the match's volume from the held
/// orders it names (once per deal: a match made through the API was taken already), an <c>OrderCancelled</c> log
/// cancels the held order. Logs about orders the book never held change nothing.
/// </summary>
public static class OrderEvents
{
    /// <summary>PoCo's OrdersMatched event (no indexed field).</summary>
    public static readonly AbiEvent OrdersMatched = AbiEvent.Parse(
        "OrdersMatched(bytes32 dealid, bytes32 appHash, bytes32 datasetHash, bytes32 workerpoolHash, bytes32 requestHash, uint256 volume)");

    /// <summary>An order cancelled on the hub by its owner.</summary>
    public static readonly AbiEvent OrderCancelled = AbiEvent.Parse("OrderCancelled(bytes32 indexed orderHash, uint8 party)");

    /// <summary>The topics the listener asks for to keep the book in step with the hub.</summary>
    public static IReadOnlyList<Hash32> Topics { get; } = [OrdersMatched.Topic0, OrderCancelled.Topic0];

    /// <summary>True when <paramref name="log"/> is one of <see cref="Topics"/>.</summary>
    public static bool Handles(LogEntry log) => log is { Topics.Count: > 0 } && Topics.Contains(log.Topics[0]);

    /// <summary>Applies one order log to the book; null when applied (or about no held order), else why it was skipped.</summary>
    public static async Task<string?> ApplyAsync(IGrainFactory grains, LogEntry log)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            if (log.Topics[0] == OrderCancelled.Topic0)
            {
                var cancelled = OrderCancelled.DecodeLog(log.Topics, log.Data);
                await grains.OrderBook().CancelAsync(new Hash32((byte[])cancelled[0]!)).ConfigureAwait(false);
                return null;
            }

            var v = OrdersMatched.DecodeLog(log.Topics, log.Data);
            static Hash32 At(object?[] values, int i) => new((byte[])values[i]!);
            var orders = new[] { At(v, 1), At(v, 2), At(v, 3) }.Where(h => !h.IsZero).ToList();
            var consumption = new BookConsumption(orders, At(v, 4), "0", ((BigInteger)v[5]!).ToString(CultureInfo.InvariantCulture));
            await grains.OrderBook().ObserveMatchAsync(At(v, 0), consumption).ConfigureAwait(false);
            return null;
        }
        catch (FormatException ex)
        {
            return "malformed order log: " + ex.Message;
        }
    }
}
