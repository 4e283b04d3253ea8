using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Domain.Workers;

/// <summary>What happens to one TEE replicate a worker holds after its verdict changed.</summary>
public enum HoldingDecision
{
    /// <summary>The worker still satisfies the app's policy: it keeps the replicate.</summary>
    Keep = 0,

    /// <summary>The worker no longer satisfies the app's policy: the replicate goes back to the queue.</summary>
    GiveBack = 1,
}

/// <summary>The decision on one held replicate, with the sentence a task's last_failure and the audit show.</summary>
/// <param name="Decision">Keep or give back.</param>
/// <param name="Reason">Why (empty when kept).</param>
public sealed record HoldingReview(HoldingDecision Decision, string Reason);

/// <summary>
/// Keeping attestation true after the first verdict: when a session must re-attest, how a kept quote is
/// re-judged against new collateral, and what a changed verdict means for each TEE replicate the worker
/// holds. Pure: the worker grain supplies the verdicts, policies and clock.
/// </summary>
public static class AttestationReview
{
    /// <summary>
    /// When the verdict made at <paramref name="verifiedAt"/> is due for re-attestation, or null when periodic
    /// re-attestation is off (a non-positive interval). Never later than one answer's time
    /// (<paramref name="answerTimeout"/>) before the evidence reaches <paramref name="maxEvidenceAge"/>: with an
    /// interval equal to that age or above it, the new quote must arrive before the old one stops being trusted.
    /// </summary>
    public static DateTimeOffset? DueAt(DateTimeOffset verifiedAt, TimeSpan interval, TimeSpan maxEvidenceAge, TimeSpan answerTimeout)
    {
        if (interval <= TimeSpan.Zero)
        {
            return null;
        }

        var beforeStale = maxEvidenceAge - answerTimeout;
        return verifiedAt + (beforeStale > TimeSpan.Zero && beforeStale < interval ? beforeStale : interval);
    }

    /// <summary>True when a re-attestation asked at <paramref name="askedAt"/> got no answer within <paramref name="timeout"/>.</summary>
    public static bool IsOverdue(DateTimeOffset askedAt, TimeSpan timeout, DateTimeOffset now) => now - askedAt > timeout;

    /// <summary>
    /// The re-verification of a kept quote against new collateral, as a verdict: the status, advisories and
    /// failure are the new collateral's, while the evidence keeps the age it had (<paramref name="originallyVerifiedAt"/>):
    /// judging old evidence again never makes it fresh; only a new quote over a new challenge does.
    /// </summary>
    public static QuoteVerificationResult Reevaluated(QuoteVerificationResult reverified, DateTimeOffset originallyVerifiedAt)
    {
        ArgumentNullException.ThrowIfNull(reverified);
        return reverified with { EvaluatedAt = originallyVerifiedAt };
    }

    /// <summary>
    /// Keep or give back one replicate of an app: the app's policy (null: the app has none, nothing is kept)
    /// judges the worker's current verdict at <paramref name="now"/>, by the same rule the dispatch applies
    /// before a hand-out and the secret service before a release, so a worker gives back exactly what it
    /// would no longer be handed.
    /// </summary>
    public static HoldingReview Decide(AttestationPolicy? appPolicy, EvidenceVerdict? verdict, bool poolAllowsSimulation, DateTimeOffset now)
    {
        var admission = TeeAdmission.Decide(appPolicy, verdict, poolAllowsSimulation, now);
        return admission.Admitted
            ? new HoldingReview(HoldingDecision.Keep, string.Empty)
            : new HoldingReview(HoldingDecision.GiveBack, $"the worker's attestation no longer satisfies the app's policy ({admission.PolicyRefusal?.ToString() ?? admission.Refusal.ToString()}): {admission.Message}");
    }
}
