using System.Security.Cryptography;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// The worker grain's part in keeping attestation true: periodic re-attestation over the session (a fresh
/// server challenge, a deadline), the kept quote judged again when the collateral changes, and the
/// consequences of a changed verdict (the TEE replicates its apps no longer admit go back, audited).
/// </summary>
public sealed partial class WorkerGrain
{
    private ReattestRound? _round;
    private bool _reviewQueued;

    public async Task<ReattestResult> ReattestAsync(string sessionId, WorkerEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var before = state.State.Attestation;
        if (!_run.IsCurrentSession(sessionId))
        {
            return new ReattestResult(false, $"session '{sessionId}' is not the current session of worker {Worker}", before);
        }

        if (_round is not { } round || !CryptographicOperations.FixedTimeEquals(round.Challenge, evidence.Challenge))
        {
            // Only the server's own fresh challenge proves the quote is new: a quote over a challenge the worker chose could have been made long ago.
            return new ReattestResult(false, "the evidence answers no re-attestation this server asked for: answer the challenge of the last re-attestation request, before its deadline", before);
        }

        _round = null;
        var (attestation, refusal) = await attestor.JudgeAsync(Worker, evidence, state.State.Capabilities!.Tee, _policy.Admission, before);
        if (refusal is not null)
        {
            // Evidence that now fails costs the session its TEE eligibility: the old verdict does not stand in for it.
            var failed = (attestation ?? before)! with { Verified = false, Failure = refusal };
            await ApplyVerdictAsync(before, failed, null);
            return new ReattestResult(false, refusal, failed);
        }

        await ApplyVerdictAsync(before, attestation!, evidence);
        return new ReattestResult(true, string.Empty, attestation);
    }

    public async Task ReviewAttestationAsync()
    {
        _reviewQueued = false;
        if (!_run.IsLive || state.State.Attestation is not { } current || state.State.Capabilities is not { Tee: not TeeKind.None } capabilities)
        {
            return;
        }

        var now = clock.UtcNow;
        if (_round is { } round && AttestationReview.IsOverdue(round.AskedAt, keeper.Timeout, now))
        {
            _round = null;
            if (current.Verified)
            {
                await ApplyVerdictAsync(current, keeper.Unanswered(current, round.AskedAt), null);
                return;
            }
        }

        if (_round is null && keeper.DueAt(current) is { } due && now >= due)
        {
            Ask(now);
        }

        // New collateral (or none): the kept quote is judged again at once, without waiting for the session's answer.
        if (current.Verified && !current.Simulated && (await Kept.GetAsync()).Evidence is { } evidence
            && await keeper.ReevaluateAsync(evidence, current, capabilities.Tee) is { } judged)
        {
            await ApplyVerdictAsync(current, judged, null);
        }
    }

    public Task<bool> RequestReattestationAsync()
    {
        if (!_run.IsLive || state.State.Attestation is null || state.State.Capabilities is not { Tee: not TeeKind.None })
        {
            return Task.FromResult(false);
        }

        Ask(clock.UtcNow);
        return Task.FromResult(true);
    }

    /// <summary>Sends the session a fresh challenge to answer with a new quote before the timeout (replacing any earlier one).</summary>
    private void Ask(DateTimeOffset now)
    {
        var challenge = RandomNumberGenerator.GetBytes(32);
        _round = new ReattestRound(challenge, now);
        Session.Send(new ReattestCommand(challenge, now + keeper.Timeout));
    }

    /// <summary>
    /// Called by heartbeats (which interleave and await nothing): when a re-attestation is due or an answer
    /// overdue, queues one review as an ordinary turn of this grain.
    /// </summary>
    private void NoteAttestationDue()
    {
        if (_reviewQueued || state.State.Attestation is not { } verdict || !_run.IsLive)
        {
            return;
        }

        var now = clock.UtcNow;
        var due = _round is { } round ? AttestationReview.IsOverdue(round.AskedAt, keeper.Timeout, now) : keeper.DueAt(verdict) <= now;
        if (due)
        {
            _reviewQueued = true;
            this.AsReference<Abstractions.Grains.IWorkerGrain>().ReviewAttestationAsync().Ignore();
        }
    }

    /// <summary>Stores a new verdict (and its evidence, when it comes from a new quote), then gives back what it no longer admits.</summary>
    private async Task ApplyVerdictAsync(WorkerAttestation? before, WorkerAttestation after, WorkerEvidence? evidence)
    {
        state.State.Attestation = after;
        await Writes.WriteNowAsync();
        var lost = await keeper.LostHoldingsAsync(GrainFactory, after, _run.HeldIn(HeldPhase.Running).Select(id => state.State.Held[id].Assignment).ToList());
        var changed = before is null || before.Verified != after.Verified || before.TcbStatus != after.TcbStatus || lost.Count > 0;
        if (changed && before is not null)
        {
            keeper.LogChange(Worker, before, after);
        }

        var kept = await Kept.GetAsync();
        kept.Evidence = evidence ?? kept.Evidence;
        if (changed)
        {
            kept.LastChange = $"{clock.UtcNow:O}: {AttestationKeeper.Describe(before)} -> {AttestationKeeper.Describe(after)}"
                + (lost.Count > 0 ? $"; gave back {lost.Count} TEE task(s): {lost[0].Reason}" : string.Empty);
        }

        if (evidence is not null || changed)
        {
            await Kept.WriteAsync(this);
        }

        foreach (var holding in lost)
        {
            var taskId = holding.Assignment.TaskId;
            if ((await GiveBackAsync(taskId, holding.Reason)).Accepted)
            {
                Session.Send(new CancelCommand(taskId, holding.Reason));
                await keeper.AuditAsync(GrainFactory, Worker, _run.SessionId, after, holding);
            }
        }
    }

    /// <summary>The worker's TEE standing as <c>pool workers</c> shows it: status and reason.</summary>
    private (string Status, string Reason) TeeStanding()
    {
        var verdict = state.State.Attestation;
        if (state.State.Capabilities is not { Tee: not TeeKind.None })
        {
            return (string.Empty, string.Empty);
        }

        return verdict switch
        {
            null => ("not eligible", "no attestation evidence"),
            { Verified: false } => ("not eligible", verdict.Failure ?? string.Empty),
            _ when _round is { } round => ("re-attesting", $"asked at {round.AskedAt:O}, answer due by {round.AskedAt + keeper.Timeout:O}"),
            _ => ("attested", Kept.Loaded?.LastChange ?? string.Empty),
        };
    }

    /// <summary>One re-attestation asked of the session: the challenge the new quote must bind, and when it was asked.</summary>
    private sealed record ReattestRound(byte[] Challenge, DateTimeOffset AskedAt);
}
