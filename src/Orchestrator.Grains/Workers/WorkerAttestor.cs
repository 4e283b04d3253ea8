using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// Judges a worker's attestation evidence for its grain: the verifier (DCAP with collateral, or
/// simulated), the binding of the session key and the server's challenge, the declared TEE kind, the
/// pool's simulation rule, and no reuse of the challenge the previous verdict answered. Every verdict
/// is counted in <c>orchestrator.attestation.verdicts</c> (tags verdict, tee, and for a refusal the
/// verifier's failure or "policy"): refusals are never free text in a label.
/// </summary>
public sealed class WorkerAttestor(IEvidenceVerifier verifier, OrchestratorClock clock)
{
    /// <summary>The verdict, and the refusal when the evidence does not admit the worker.</summary>
    public async Task<(WorkerAttestation? Attestation, string? Refusal)> JudgeAsync(
        WorkerEvidence? evidence, TeeKind declared, AdmissionPolicy policy, WorkerAttestation? previous)
    {
        var verdict = await AttestAsync(evidence, declared, policy, previous);
        var tee = evidence?.Format == EvidenceFormat.Simulated ? "simulated" : declared.ToString().ToLowerInvariant();
        if (verdict.Refusal is null)
        {
            AttestationTelemetry.Verdicts.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Verdict, "accepted"), new KeyValuePair<string, object?>(TelemetryTags.Tee, tee));
        }
        else
        {
            var reason = verdict.Attestation is { Verified: false } ? "verification" : evidence is null || evidence.Format == EvidenceFormat.Unspecified ? "no_evidence" : "policy";
            AttestationTelemetry.Verdicts.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Verdict, "rejected"), new KeyValuePair<string, object?>(TelemetryTags.Tee, tee), new KeyValuePair<string, object?>(TelemetryTags.Reason, reason));
        }

        return verdict;
    }

    private async Task<(WorkerAttestation? Attestation, string? Refusal)> AttestAsync(
        WorkerEvidence? evidence, TeeKind declared, AdmissionPolicy policy, WorkerAttestation? previous)
    {
        if (evidence is null || evidence.Format == EvidenceFormat.Unspecified)
        {
            return (null, $"a {declared} worker must present attestation evidence (a DCAP quote binding its session key and the server's challenge)");
        }

        if (declared == TeeKind.None)
        {
            return (null, "a worker without a TEE cannot present attestation evidence; declare its TEE kind");
        }

        if (policy.RefuseSimulated(evidence.Format == EvidenceFormat.Simulated) is { } simulated)
        {
            return (null, $"the evidence is simulated and {simulated}");
        }

        var now = clock.UtcNow;
        var result = await verifier.VerifyAsync(evidence.Quote, now);
        var attestation = AttestationMapping.Assess(evidence, result, declared, now);
        if (!attestation.Verified)
        {
            return (attestation, attestation.Failure);
        }

        if (attestation.ChallengeHash == previous?.ChallengeHash)
        {
            return (attestation, "the evidence answers a challenge already used: every session and re-attestation needs a fresh server challenge");
        }

        return (attestation, null);
    }
}
