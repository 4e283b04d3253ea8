using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The chain client's and listener's spans and instruments (ActivitySource and Meter "Orchestrator.Chain").</summary>
public static class ChainTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Chain";

    /// <summary>Spans of JSON-RPC calls and of the listener's block reads.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The chain's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.chain.lag_blocks</c>: the chain's head minus the last block the listener processed (record the current value).</summary>
    public static readonly Gauge<long> LagBlocks = Meter.CreateGauge<long>(
        "orchestrator.chain.lag_blocks", "{block}", "Blocks between the chain head and the last processed block");

    /// <summary>Instrument <c>orchestrator.chain.head_block</c>: the latest block number seen.</summary>
    public static readonly Gauge<long> HeadBlock = Meter.CreateGauge<long>(
        "orchestrator.chain.head_block", "{block}", "The latest block number seen");
}
