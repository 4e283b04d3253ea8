using System.Diagnostics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The chain bridge's spans (ActivitySource "Orchestrator.Bridge"). Its instruments (pending
/// transactions, gas used, chain lag, error-queue depth) are recorded by
/// <c>Orchestrator.Bridge.BridgeTelemetry</c> on the meter <see cref="ChainTelemetry.Name"/>.
/// </summary>
public static class BridgeTelemetry
{
    /// <summary>Source name.</summary>
    public const string Name = "Orchestrator.Bridge";

    /// <summary>Spans: one per consumed event (continuing the task's trace through MassTransit's headers) and one per batch transaction.</summary>
    public static readonly ActivitySource Source = new(Name);
}
