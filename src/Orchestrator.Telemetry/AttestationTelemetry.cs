using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>Attestation's instruments (Meter "Orchestrator.Attestation"), recorded where sessions are attested.</summary>
public static class AttestationTelemetry
{
    /// <summary>The meter name.</summary>
    public const string Name = "Orchestrator.Attestation";

    /// <summary>Attestation's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// Instrument <c>orchestrator.attestation.verdicts</c>: tags <c>verdict</c> (accepted, rejected),
    /// <c>tee</c> (sgx, tdx, simulated) and, when rejected, <c>reason</c> (the failure reason's name).
    /// </summary>
    public static readonly Counter<long> Verdicts = Meter.CreateCounter<long>(
        "orchestrator.attestation.verdicts", "{verdict}", "Attestation verdicts");
}
