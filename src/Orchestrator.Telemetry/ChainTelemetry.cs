using System.Diagnostics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The chain's spans (ActivitySource "Orchestrator.Chain") and the name of its meter, whose
/// instruments <c>Orchestrator.Bridge.BridgeTelemetry</c> owns (orchestrator.chain.lag_blocks,
/// orchestrator.bridge.pending_transactions, orchestrator.bridge.gas_used, ...).
/// </summary>
public static class ChainTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Chain";

    /// <summary>Spans of JSON-RPC calls and of the listener's block reads.</summary>
    public static readonly ActivitySource Source = new(Name);
}
