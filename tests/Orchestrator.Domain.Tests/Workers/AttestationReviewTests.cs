using System.Security.Cryptography;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Workers;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Domain.Tests.Workers;

/// <summary>
/// The re-attestation decision, pure: a kept test-TEE quote judged again against swapped collateral
/// (a TCB level now OutOfDate, a revoked PCK) and an app's policy → keep the replicate or give it back.
/// </summary>
public sealed class AttestationReviewTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TestEnclave App = new();
    private readonly TestTee _tee = new(At);
    private readonly byte[] _quote;

    public AttestationReviewTests() => _quote = _tee.SgxQuote(ReportDataBinding.Compute(RandomNumberGenerator.GetBytes(64), ReportDataBinding.NewChallenge()));

    private static AttestationPolicy Strict => new()
    {
        Tee = TeeType.Sgx,
        MrEnclaves = [Convert.ToHexStringLower(App.MrEnclave.AsSpan())],
        MaxEvidenceAge = TimeSpan.FromDays(2),
    };

    private static AttestationPolicy Lenient => Strict with
    {
        AcceptedTcbStatuses = [new TcbStatusRule(TcbStatus.UpToDate), new TcbStatusRule(TcbStatus.OutOfDate, ["INTEL-SA-00000-TEST"])],
    };

    public void Dispose() => _tee.Dispose();

    [Fact]
    public void A_kept_quote_under_collateral_that_makes_its_tcb_out_of_date_is_given_back_by_a_strict_app_and_kept_by_a_lenient_one()
    {
        var later = At + TimeSpan.FromHours(3);
        var verdict = Reverified(new TestCollateralOptions { PlatformStatus = TcbStatus.OutOfDate }, later);

        var strict = AttestationReview.Decide(Strict, verdict, poolAllowsSimulation: false, later);
        var lenient = AttestationReview.Decide(Lenient, verdict, poolAllowsSimulation: false, later);

        Assert.Equal(HoldingDecision.GiveBack, strict.Decision);
        Assert.Contains("TcbStatusNotAccepted", strict.Reason, StringComparison.Ordinal);
        Assert.Contains("OutOfDate", strict.Reason, StringComparison.Ordinal);
        Assert.Equal(new HoldingReview(HoldingDecision.Keep, string.Empty), lenient);
    }

    [Fact]
    public void A_kept_quote_whose_pck_the_new_crl_revokes_is_given_back_by_every_app()
    {
        var verdict = Reverified(new TestCollateralOptions { RevokePck = true }, At);

        var review = AttestationReview.Decide(Lenient, verdict, poolAllowsSimulation: false, At);

        Assert.False(verdict.Verified);
        Assert.Equal(HoldingDecision.GiveBack, review.Decision);
        Assert.Contains("CertificateRevoked", review.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Unchanged_collateral_keeps_the_replicate_and_judging_again_never_makes_old_evidence_fresh()
    {
        var verdict = Reverified(new TestCollateralOptions(), At + TimeSpan.FromDays(1));
        Assert.Equal(HoldingDecision.Keep, AttestationReview.Decide(Strict, verdict, false, At + TimeSpan.FromDays(1)).Decision);

        // Re-verified three days on, the quote keeps the age it had: past the app's two days, it no longer counts.
        var old = Reverified(new TestCollateralOptions(), At + TimeSpan.FromDays(3));
        var review = AttestationReview.Decide(Strict, old, false, At + TimeSpan.FromDays(3));
        Assert.Equal(HoldingDecision.GiveBack, review.Decision);
        Assert.Contains("EvidenceTooOld", review.Reason, StringComparison.Ordinal);
        Assert.Equal(At, old.Result.EvaluatedAt);
    }

    [Fact]
    public void An_app_without_policy_keeps_nothing_and_a_worker_without_a_verdict_keeps_nothing()
    {
        var verdict = Reverified(new TestCollateralOptions(), At);

        Assert.Equal(HoldingDecision.GiveBack, AttestationReview.Decide(null, verdict, false, At).Decision);
        Assert.Equal(HoldingDecision.GiveBack, AttestationReview.Decide(Strict, null, false, At).Decision);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(23, false)]
    [InlineData(24, true)]
    [InlineData(25, true)]
    public void Re_attestation_is_due_once_the_interval_has_passed_since_the_verdict(int hours, bool due)
    {
        var dueAt = AttestationReview.DueAt(At, TimeSpan.FromHours(24), TimeSpan.FromDays(7), TimeSpan.FromMinutes(2));
        Assert.Equal(due, At + TimeSpan.FromHours(hours) >= dueAt);
        Assert.Null(AttestationReview.DueAt(At, TimeSpan.Zero, TimeSpan.FromDays(7), TimeSpan.FromMinutes(2))); // zero turns it off
        Assert.Equal(hours >= 1, AttestationReview.IsOverdue(At, TimeSpan.FromMinutes(30), At + TimeSpan.FromHours(hours)));
    }

    [Theory]
    [InlineData(24, 24, 2, 24 * 60 - 2)] // the defaults: asked one answer's time before the evidence goes stale
    [InlineData(48, 24, 2, 24 * 60 - 2)] // an interval above the evidence age would leave the worker stale for a day
    [InlineData(6, 24, 2, 6 * 60)]       // a shorter interval is kept as it is
    [InlineData(6, 0, 2, 6 * 60)]        // no evidence age (or one shorter than an answer): the interval alone
    public void Re_attestation_is_asked_before_the_evidence_stops_being_trusted(int intervalHours, int maxAgeHours, int timeoutMinutes, int dueMinutes)
    {
        var dueAt = AttestationReview.DueAt(At, TimeSpan.FromHours(intervalHours), TimeSpan.FromHours(maxAgeHours), TimeSpan.FromMinutes(timeoutMinutes));
        Assert.Equal(At + TimeSpan.FromMinutes(dueMinutes), dueAt);
    }

    [Fact]
    public void The_collateral_version_names_what_changed_and_any_change_of_content_changes_it()
    {
        var before = CollateralVersion.Of(_tee.Collateral(TeeType.Sgx));
        var revoked = CollateralVersion.Of(_tee.Collateral(TeeType.Sgx, new TestCollateralOptions { RevokePck = true }));
        var outOfDate = CollateralVersion.Of(_tee.Collateral(TeeType.Sgx, new TestCollateralOptions { PlatformStatus = TcbStatus.OutOfDate }));

        Assert.Equal(before, CollateralVersion.Of(_tee.Collateral(TeeType.Sgx)));
        Assert.Equal((3, 17, 2, "1", "1"), (before.TcbInfoVersion, before.TcbEvaluationDataNumber, before.QeIdentityVersion, before.RootCaCrlNumber, before.PckCrlNumber));
        Assert.Equal(At.AddHours(-1), before.TcbInfoIssueDate);
        Assert.NotEqual(before, revoked);
        Assert.NotEqual(before, outOfDate);
        Assert.StartsWith("tcb-info v3 2026-12-05T11:00:00Z eval 17, qe-identity v2", before.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The kept quote (first verified at <see cref="At"/>) re-verified at <paramref name="now"/> against new collateral.</summary>
    private EvidenceVerdict Reverified(TestCollateralOptions collateral, DateTimeOffset now)
    {
        var verifier = new DcapQuoteVerifier(new QuoteVerificationOptions { TestRootsSha256Hex = [_tee.RootSha256Hex] });
        var first = verifier.Verify(_quote, _tee.Collateral(TeeType.Sgx), At);
        Assert.True(first.IsVerified, first.FailureMessage);
        var again = AttestationReview.Reevaluated(verifier.Verify(_quote, _tee.Collateral(TeeType.Sgx, collateral), now), At);
        return new EvidenceVerdict(again.IsVerified, again.IsVerified ? null : $"{again.Failure}: {again.FailureMessage}", false, again);
    }
}
