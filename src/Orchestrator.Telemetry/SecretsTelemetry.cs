using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The secret service's instruments (Meter "Orchestrator.Secrets").</summary>
public static class SecretsTelemetry
{
    /// <summary>The meter name.</summary>
    public const string Name = "Orchestrator.Secrets";

    /// <summary>The secret service's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Instrument <c>orchestrator.secrets.releases</c>: every fetch decision (tag <c>result</c>: released, or the refusal), recorded by the task secrets grain.</summary>
    public static readonly Counter<long> Releases = Meter.CreateCounter<long>(
        "orchestrator.secrets.releases", "{release}", "Secret (enclave key) release requests by result");

    /// <summary>Instrument <c>orchestrator.secrets.unrecorded_refusals</c>: refusals past a task's audit cap, counted in memory and never written.</summary>
    public static readonly Counter<long> UnrecordedRefusals = Meter.CreateCounter<long>(
        "orchestrator.secrets.unrecorded_refusals", "{refusal}", "Secret fetch refusals past the per-task audit cap (logged and counted, not stored)");
}
