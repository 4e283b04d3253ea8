using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Policy;

namespace Orchestrator.Grains.Trust;

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
/// The one rule deciding whether a worker's last evidence lets it run an app's TEE task now: the
/// dispatch partitions apply it before handing out a TEE ticket and the secret service before
/// releasing a task's secrets. Pure.
/// </summary>
public static class TeeAdmission
{
    /// <summary>Decides at <paramref name="now"/>; <paramref name="defaultMaxAge"/> applies when the policy sets no maximum age.</summary>
    public static AdmissionDecision Decide(AppAttestationPolicy? policy, WorkerAttestation? attestation, bool poolAllowsSimulation, DateTimeOffset now, TimeSpan defaultMaxAge)
    {
        if (policy is null)
        {
            return new(AdmissionRefusal.NoPolicy, null, "the app has no attestation policy; register one through the admin API");
        }

        if (attestation is null)
        {
            return new(AdmissionRefusal.NoEvidence, null, "the worker presented no attestation evidence");
        }

        if (!attestation.Verified)
        {
            return new(AdmissionRefusal.EvidenceNotVerified, null, $"the worker's evidence did not verify: {attestation.Failure}");
        }

        if (attestation.Simulated && !poolAllowsSimulation)
        {
            return new(AdmissionRefusal.SimulationNotAllowedByPool, null, "the evidence is simulated and the pool does not allow simulated TEE");
        }

        var decision = AttestationMapping.ToPolicy(policy, defaultMaxAge).Evaluate(AttestationMapping.ToResult(attestation), now);
        return decision.Accepted
            ? new(AdmissionRefusal.None, null, decision.Message)
            : new(AdmissionRefusal.PolicyRefused, decision.Refusal, decision.Message);
    }
}
