using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The secret service's spans and instruments (ActivitySource and Meter "Orchestrator.Secrets").</summary>
public static class SecretsTelemetry
{
    /// <summary>Source and meter name.</summary>
    public const string Name = "Orchestrator.Secrets";

    /// <summary>Spans of key releases.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The secret service's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.secrets.releases</c>: tag <c>result</c> (released, or the refusal's short code).</summary>
    public static readonly Counter<long> Releases = Meter.CreateCounter<long>(
        "orchestrator.secrets.releases", "{release}", "Secret (enclave key) release requests by result");

    /// <summary>Instrument <c>orchestrator.secrets.unrecorded_refusals</c>: refusals past a task's audit cap, counted in memory and never written.</summary>
    public static readonly Counter<long> UnrecordedRefusals = Meter.CreateCounter<long>(
        "orchestrator.secrets.unrecorded_refusals", "{refusal}", "Secret fetch refusals past the per-task audit cap (logged and counted, not stored)");
}
