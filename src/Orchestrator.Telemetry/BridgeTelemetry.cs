using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The chain bridge's spans and instruments (ActivitySource and Meter "Orchestrator.Bridge"): the
/// sender's transactions and gas, the listener's lag behind the chain head, the bus's error queues.
/// </summary>
public static class BridgeTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Bridge";

    /// <summary>Spans: one per consumed event (continuing the task's trace through MassTransit's headers) and one per batch transaction.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The bridge's meter.</summary>
    public static readonly Meter Meter = new(Name);

    private static long _pending;
    private static long _lag;
    private static Func<IReadOnlyDictionary<string, long>>? _errorQueues;

    /// <summary>Instrument <c>orchestrator.bridge.gas_used</c>: gas used by confirmed transactions (tag <c>kind</c>: finalize | claim).</summary>
    public static readonly Counter<long> GasUsed = Meter.CreateCounter<long>("orchestrator.bridge.gas_used", "gas", "Gas used by confirmed bridge transactions");

    /// <summary>Instrument <c>orchestrator.bridge.tasks</c>: tasks settled (tags <c>kind</c>, <c>outcome</c>: sent | already_final | rejected).</summary>
    public static readonly Counter<long> Tasks = Meter.CreateCounter<long>("orchestrator.bridge.tasks", "{task}", "Tasks the bridge settled or refused");

    /// <summary>Instrument <c>orchestrator.bridge.fee_bumps</c>: replacement transactions sent for a stuck one.</summary>
    public static readonly Counter<long> Bumps = Meter.CreateCounter<long>("orchestrator.bridge.fee_bumps", "{transaction}", "Stuck transactions replaced with higher fees");

    /// <summary>
    /// Instrument <c>orchestrator.bridge.listener_reorgs</c>: reorganisations the deal listener found under
    /// its cursor (tag <c>outcome</c>: walked_back | too_deep; <c>depth</c>: blocks undone, or the kept history when too deep).
    /// </summary>
    public static readonly Counter<long> ListenerReorgs = Meter.CreateCounter<long>("orchestrator.bridge.listener_reorgs", "{reorg}", "Chain reorganisations found under the deal listener's cursor");

    /// <summary>Instrument <c>orchestrator.bridge.listener_reorg_depth</c>: blocks each walked-back reorganisation undid.</summary>
    public static readonly Histogram<long> ListenerReorgDepth = Meter.CreateHistogram<long>("orchestrator.bridge.listener_reorg_depth", "{block}", "Blocks undone by each reorganisation the deal listener walked back");

    /// <summary>Instrument <c>orchestrator.bridge.deals_cancelled</c>: deals cancelled because their DealCreated log vanished in a reorganisation and did not reappear.</summary>
    public static readonly Counter<long> DealsCancelled = Meter.CreateCounter<long>("orchestrator.bridge.deals_cancelled", "{deal}", "Deals cancelled because their creation vanished from the chain");

    /// <summary>Instrument <c>orchestrator.bridge.pending_transactions</c>.</summary>
    public static readonly ObservableGauge<long> PendingTransactions = Meter.CreateObservableGauge(
        "orchestrator.bridge.pending_transactions", () => Interlocked.Read(ref _pending), "{transaction}", "Bridge transactions sent and not yet confirmed");

    /// <summary>Instrument <c>orchestrator.chain.lag_blocks</c> (the listener's; named for what it measures).</summary>
    public static readonly ObservableGauge<long> ChainLag = Meter.CreateObservableGauge(
        "orchestrator.chain.lag_blocks", () => Interlocked.Read(ref _lag), "{block}", "Blocks between the chain head and the listener's cursor");

    /// <summary>Instrument <c>orchestrator.bus.error_queue_messages</c> (tag <c>queue</c>).</summary>
    public static readonly ObservableGauge<long> ErrorQueueMessages = Meter.CreateObservableGauge(
        "orchestrator.bus.error_queue_messages", ErrorQueueMeasurements, "{message}", "Messages waiting in the bus's error queues");

    /// <summary>Adds to the pending-transaction gauge.</summary>
    public static void AddPending(long delta) => Interlocked.Add(ref _pending, delta);

    /// <summary>The pending-transaction count (for tests and logs).</summary>
    public static long Pending => Interlocked.Read(ref _pending);

    /// <summary>Sets the listener's lag.</summary>
    public static void SetLag(long blocks) => Interlocked.Exchange(ref _lag, blocks);

    /// <summary>Where the error-queue gauge reads its values.</summary>
    public static void RegisterErrorQueueGauge(Func<IReadOnlyDictionary<string, long>> read) => _errorQueues = read;

    private static IEnumerable<Measurement<long>> ErrorQueueMeasurements()
        => (_errorQueues?.Invoke() ?? new Dictionary<string, long>()).Select(q => new Measurement<long>(q.Value, new KeyValuePair<string, object?>("queue", q.Key)));
}
