using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The chain bridge's spans and instruments (ActivitySource and Meter "Orchestrator.Bridge"), recorded
/// by the bridge consumer: it batches finalizations, signs and submits transactions.
/// </summary>
public static class BridgeTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Bridge";

    /// <summary>Spans: one per consumed event (continuing the task's trace through MassTransit's headers) and one per batch transaction.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The bridge's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.bridge.pending_transactions</c>: transactions sent and not yet mined (record the current count).</summary>
    public static readonly Gauge<long> PendingTransactions = Meter.CreateGauge<long>(
        "orchestrator.bridge.pending_transactions", "{transaction}", "Transactions submitted and not yet mined");

    /// <summary>Instrument <c>orchestrator.bridge.transactions</c>: transactions by result (tag <c>result</c>: mined, reverted, replaced, failed).</summary>
    public static readonly Counter<long> Transactions = Meter.CreateCounter<long>(
        "orchestrator.bridge.transactions", "{transaction}", "Chain transactions by result");

    /// <summary>Instrument <c>orchestrator.bridge.gas_used</c>: gas of mined transactions (tag <c>operation</c>).</summary>
    public static readonly Counter<long> GasUsed = Meter.CreateCounter<long>(
        "orchestrator.bridge.gas_used", "{gas}", "Gas used by mined transactions");

    /// <summary>Instrument <c>orchestrator.bridge.batch_size</c>: tasks per batched transaction.</summary>
    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>(
        "orchestrator.bridge.batch_size", "{task}", "Tasks finalized per transaction",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500] });
}
