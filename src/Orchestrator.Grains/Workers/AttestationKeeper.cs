using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Secrets;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Workers;

/// <summary>A TEE replicate a worker gives back because its verdict no longer admits it, and why.</summary>
public sealed record LostHolding(Assignment Assignment, string Reason);

/// <summary>
/// Keeps a worker's verdict true for its grain (<see cref="AttestationReview"/> decides): when the session re-attests,
/// how the kept quote is judged again against the silo's current collateral, and which held TEE replicates the apps'
/// policies no longer admit under a changed verdict, audited in the secret service's trail of each such task.
/// </summary>
public sealed partial class AttestationKeeper(
    IEvidenceVerifier verifier,
    AppPolicyCache policies,
    OrchestratorClock clock,
    IOptions<AttestationOptions> options,
    ILogger<AttestationKeeper> logger)
{
    /// <summary>How long after a verdict the session re-attests (zero: never by itself).</summary>
    public TimeSpan Interval => options.Value.ReattestInterval;

    /// <summary>How long an asked session has to answer.</summary>
    public TimeSpan Timeout => options.Value.ReattestTimeout;

    /// <summary>When the verdict is due for re-attestation (<see cref="AttestationReview.DueAt"/>), or null when it is not a TEE verdict or the interval is off.</summary>
    public DateTimeOffset? DueAt(WorkerAttestation? verdict) =>
        verdict is null ? null : AttestationReview.DueAt(verdict.VerifiedAt, Interval, options.Value.MaxEvidenceAge, Timeout);

    /// <summary>
    /// The kept quote judged again now with the silo's collateral; null when the collateral is the one the verdict
    /// was made with (nothing to judge). The verdict keeps its time (old evidence never becomes fresh) and the
    /// challenge it answered.
    /// </summary>
    public async Task<WorkerAttestation?> ReevaluateAsync(WorkerEvidence kept, WorkerAttestation current, TeeKind declared)
    {
        ArgumentNullException.ThrowIfNull(kept);
        ArgumentNullException.ThrowIfNull(current);
        if (kept.Format != EvidenceFormat.DcapQuote)
        {
            return null; // simulated evidence has no collateral to change
        }

        var now = clock.UtcNow;
        var result = await verifier.VerifyAsync(kept.Quote, now);
        if (AttestationMapping.ToCollateral(result.Collateral) is { } collateral && collateral == current.Collateral)
        {
            return null;
        }

        var judged = AttestationMapping.Assess(kept, AttestationReview.Reevaluated(result, current.VerifiedAt), declared, current.VerifiedAt);
        return judged with { ChallengeHash = current.ChallengeHash, ReviewedAt = now };
    }

    /// <summary>The verdict a session gets when it leaves a re-attestation unanswered: not verified, saying so.</summary>
    public WorkerAttestation Unanswered(WorkerAttestation current, DateTimeOffset askedAt)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            Verified = false,
            Failure = $"no answer to the re-attestation asked at {askedAt:O} within {Timeout} (rule: {AttestationOptions.Section}:ReattestTimeout)",
            ReviewedAt = clock.UtcNow,
        };
    }

    /// <summary>The running TEE replicates that <paramref name="verdict"/> no longer admits, by each deal's pinned app policy.</summary>
    public async Task<IReadOnlyList<LostHolding>> LostHoldingsAsync(IGrainFactory grains, WorkerAttestation? verdict, IEnumerable<Assignment> running)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(running);
        var lost = new List<LostHolding>();
        var now = clock.UtcNow;
        var simulation = (await policies.GetPoolPolicyAsync()).Admission.AdmitsSimulated;
        foreach (var assignment in running.Where(a => a.Tee != TeeKind.None))
        {
            var terms = (await grains.TaskSecrets(assignment.TaskId).GetViewAsync()).Terms;
            var policy = await policies.GetAsync(assignment.App, terms?.AppVersion ?? 0);
            var review = AttestationReview.Decide(policy is null ? null : AttestationMapping.ToPolicy(policy, options.Value.MaxEvidenceAge),
                verdict is null ? null : AttestationMapping.ToVerdict(verdict), simulation, now);
            if (review.Decision == HoldingDecision.GiveBack)
            {
                lost.Add(new LostHolding(assignment, review.Reason));
            }
        }

        return lost;
    }

    /// <summary>Audits a give-back in the task's secret trail (and its owners'), counts and logs it.</summary>
    public async Task AuditAsync(IGrainFactory grains, Address worker, string sessionId, WorkerAttestation? verdict, LostHolding lost)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(lost);
        var entry = new SecretAuditEntry(clock.UtcNow, lost.Assignment.TaskId, worker, sessionId, verdict?.Measurement ?? string.Empty, false,
            SecretRefusal.AttestationRefused, [], "re-attestation: the worker gave the replicate back: " + lost.Reason);
        await grains.TaskSecrets(lost.Assignment.TaskId).RecordAttestationLossAsync(entry);
        AttestationTelemetry.Verdicts.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Verdict, "withdrawn"),
            new KeyValuePair<string, object?>(TelemetryTags.Tee, lost.Assignment.Tee.ToString().ToLowerInvariant()));
        LogGivenBack(logger, worker, lost.Assignment.TaskId, lost.Reason);
    }

    /// <summary>Logs a verdict that changed without a new quote (new collateral, or an unanswered request).</summary>
    public void LogChange(Address worker, WorkerAttestation before, WorkerAttestation after) =>
        LogVerdictChanged(logger, worker, Describe(before), Describe(after));

    /// <summary>A verdict in a few words: its TCB status or its failure.</summary>
    public static string Describe(WorkerAttestation? verdict) => verdict is null ? "none"
        : verdict.Verified ? $"verified, TCB {verdict.TcbStatus ?? "n/a"}" : $"not verified: {verdict.Failure}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} gave back TEE task {TaskId}: {Reason}")]
    private static partial void LogGivenBack(ILogger logger, Address worker, Hash32 taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} attestation verdict changed: {Before} -> {After}")]
    private static partial void LogVerdictChanged(ILogger logger, Address worker, string before, string after);
}
