using System.Diagnostics.Metrics;

namespace Orchestrator.Bridge;

/// <summary>
/// The bridge's instruments, on the meter <c>Orchestrator.Chain</c>. (Names as agreed with the telemetry
/// work: pending transactions, gas used, chain lag in blocks, error-queue depth.)
/// </summary>
public static class BridgeTelemetry
{
    /// <summary>The meter's name: add it to the OpenTelemetry metrics pipeline.</summary>
    public const string MeterName = "Orchestrator.Chain";

    private static readonly Meter Meter = new(MeterName);
    private static long _pending;
    private static long _lag;
    private static Func<IReadOnlyDictionary<string, long>>? _errorQueues;

    /// <summary>Gas used by the bridge's confirmed transactions (tag <c>kind</c>: finalize | claim).</summary>
    public static readonly Counter<long> GasUsed = Meter.CreateCounter<long>("orchestrator.bridge.gas_used", "gas", "Gas used by confirmed bridge transactions");

    /// <summary>Tasks settled on chain by the bridge (tag <c>kind</c>, <c>outcome</c>: sent | already_final | rejected).</summary>
    public static readonly Counter<long> Tasks = Meter.CreateCounter<long>("orchestrator.bridge.tasks", "{task}", "Tasks the bridge settled or refused");

    /// <summary>Replacement transactions sent for a stuck one.</summary>
    public static readonly Counter<long> Bumps = Meter.CreateCounter<long>("orchestrator.bridge.fee_bumps", "{transaction}", "Stuck transactions replaced with higher fees");

    static BridgeTelemetry()
    {
        Meter.CreateObservableGauge("orchestrator.bridge.pending_transactions", () => Interlocked.Read(ref _pending), "{transaction}", "Bridge transactions sent and not yet confirmed");
        Meter.CreateObservableGauge("orchestrator.chain.lag_blocks", () => Interlocked.Read(ref _lag), "{block}", "Blocks between the chain head and the listener's cursor");
        Meter.CreateObservableGauge("orchestrator.bus.error_queue_messages", ErrorQueueMeasurements, "{message}", "Messages waiting in the bus's error queues");
    }

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
