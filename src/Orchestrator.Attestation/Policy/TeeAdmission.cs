using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Policy;

/// <summary>Why a worker may not run an app's TEE task (or have its secrets).</summary>
public enum AdmissionRefusal
{
    /// <summary>Admitted.</summary>
    None = 0,

    /// <summary>The app has no attestation policy: none of its TEE tasks is dispatched.</summary>
    NoPolicy,

    /// <summary>The worker presented no evidence.</summary>
    NoEvidence,

    /// <summary>The worker's evidence did not verify or bind its session.</summary>
    EvidenceNotVerified,

    /// <summary>The evidence is simulated and the worker's pool does not allow simulation.</summary>
    SimulationNotAllowedByPool,

    /// <summary>The app's policy refused the evidence (see <see cref="AdmissionDecision.PolicyRefusal"/>).</summary>
    PolicyRefused,
}

/// <summary>The outcome of <see cref="TeeAdmission.Decide"/>.</summary>
/// <param name="Refusal">None when admitted.</param>
/// <param name="PolicyRefusal">The policy's precise refusal (wrong measurement, TCB, stale, simulated, debug), when the policy refused.</param>
/// <param name="Message">A sentence a person can act on.</param>
public sealed record AdmissionDecision(AdmissionRefusal Refusal, PolicyRefusal? PolicyRefusal, string Message)
{
    /// <summary>True when admitted.</summary>
    public bool Admitted => Refusal == AdmissionRefusal.None;
}

/// <summary>
/// The verdict kept on a worker's last evidence, as the admission rule reads it. It is kept apart from
/// <see cref="QuoteVerificationResult"/> because a stored verdict may be refused for reasons the verifier
/// never saw (the REPORTDATA binding, the declared TEE kind) and says so in <paramref name="Failure"/>.
/// </summary>
/// <param name="Verified">True when the verifier accepted the evidence and it binds the worker's session.</param>
/// <param name="Failure">Why not, when not verified.</param>
/// <param name="Simulated">True when the evidence is simulated.</param>
/// <param name="Result">The verdict as a result the policy can judge.</param>
public sealed record EvidenceVerdict(bool Verified, string? Failure, bool Simulated, QuoteVerificationResult Result);

/// <summary>
/// The one rule deciding whether a worker's last evidence lets it run an app's TEE task now: the
/// dispatch partitions apply it before handing out a TEE ticket and the secret service before
/// releasing a task's secrets. Pure.
/// </summary>
public static class TeeAdmission
{
    /// <summary>Decides at <paramref name="now"/>.</summary>
    public static AdmissionDecision Decide(AttestationPolicy? policy, EvidenceVerdict? verdict, bool poolAllowsSimulation, DateTimeOffset now)
    {
        if (policy is null)
        {
            return new(AdmissionRefusal.NoPolicy, null, "the app has no attestation policy; register one through the admin API");
        }

        if (verdict is null)
        {
            return new(AdmissionRefusal.NoEvidence, null, "the worker presented no attestation evidence");
        }

        if (!verdict.Verified)
        {
            return new(AdmissionRefusal.EvidenceNotVerified, null, $"the worker's evidence did not verify: {verdict.Failure}");
        }

        if (verdict.Simulated && !poolAllowsSimulation)
        {
            return new(AdmissionRefusal.SimulationNotAllowedByPool, null, "the evidence is simulated and the pool does not allow simulated TEE");
        }

        var decision = policy.Evaluate(verdict.Result, now);
        return decision.Accepted
            ? new(AdmissionRefusal.None, null, decision.Message)
            : new(AdmissionRefusal.PolicyRefused, decision.Refusal, decision.Message);
    }
}
