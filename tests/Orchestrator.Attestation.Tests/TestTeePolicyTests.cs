using System.Security.Cryptography;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Verification;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Attestation.Tests;

/// <summary>
/// The negative table of a real TEE path, at the verifier and the app policy: test-TEE quotes whose
/// REPORTDATA binds a session key and the server's challenge, judged as Intel-rooted evidence would be.
/// </summary>
public sealed class TestTeePolicyTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TestEnclave App = new();
    private readonly TestTee _tee = new(At);
    private readonly byte[] _sessionKey = RandomNumberGenerator.GetBytes(64);
    private readonly byte[] _challenge = ReportDataBinding.NewChallenge();

    private static AttestationPolicy SgxPolicy => new()
    {
        Tee = TeeType.Sgx,
        MrEnclaves = [Convert.ToHexStringLower(App.MrEnclave.AsSpan())],
    };

    public void Dispose() => _tee.Dispose();

    [Fact]
    public void Evidence_binding_the_session_key_and_challenge_from_the_allowed_enclave_is_accepted()
    {
        var decision = Judge(_tee.SgxQuote(Binding()), SgxPolicy);

        Assert.True(decision.Accepted, decision.Message);
        Assert.Equal("Sgx evidence accepted with TCB status UpToDate", decision.Message);
    }

    [Fact]
    public void Report_data_binding_another_key_is_refused()
    {
        var other = ReportDataBinding.Compute(RandomNumberGenerator.GetBytes(64), _challenge);

        Assert.Equal(PolicyRefusal.ReportDataMismatch, Judge(_tee.SgxQuote(other), SgxPolicy).Refusal);
    }

    [Fact]
    public void Evidence_replayed_for_a_new_challenge_is_refused()
    {
        var quote = _tee.SgxQuote(Binding());
        var result = Verifier().Verify(quote, _tee.Collateral(TeeType.Sgx), At);

        var replayed = SgxPolicy.Evaluate(result, At, _sessionKey, ReportDataBinding.NewChallenge());

        Assert.Equal(PolicyRefusal.ReportDataMismatch, replayed.Refusal);
    }

    [Fact]
    public void A_measurement_outside_the_policy_is_refused()
    {
        var wrong = App with { MrEnclave = [.. Enumerable.Repeat((byte)0xBA, 32)] };

        var decision = Judge(_tee.SgxQuote(Binding(), wrong), SgxPolicy);

        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, decision.Refusal);
        Assert.Contains("MRENCLAVE " + string.Concat(Enumerable.Repeat("ba", 32)), decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_revoked_pck_is_refused_with_the_verifiers_reason()
    {
        var decision = Judge(_tee.SgxQuote(Binding()), SgxPolicy, new TestCollateralOptions { RevokePck = true });

        Assert.Equal(PolicyRefusal.VerificationFailed, decision.Refusal);
        Assert.Contains("CertificateRevoked", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_date_tcb_is_refused_by_a_policy_that_does_not_list_it_and_accepted_by_one_that_does()
    {
        var outOfDate = new TestCollateralOptions { PlatformStatus = TcbStatus.OutOfDate };

        Assert.Equal(PolicyRefusal.TcbStatusNotAccepted, Judge(_tee.SgxQuote(Binding()), SgxPolicy, outOfDate).Refusal);
        var lenient = SgxPolicy with { AcceptedTcbStatuses = [new TcbStatusRule(TcbStatus.UpToDate), new TcbStatusRule(TcbStatus.OutOfDate, ["INTEL-SA-00000-TEST"])] };
        Assert.True(Judge(_tee.SgxQuote(Binding()), lenient, outOfDate).Accepted);
    }

    [Fact]
    public void Stale_evidence_is_refused()
    {
        var result = Verifier().Verify(_tee.SgxQuote(Binding()), _tee.Collateral(TeeType.Sgx), At);

        var decision = SgxPolicy.Evaluate(result, At + TimeSpan.FromHours(2), _sessionKey, _challenge);

        Assert.Equal(PolicyRefusal.EvidenceTooOld, decision.Refusal);
    }

    [Fact]
    public void A_debug_enclave_is_refused()
    {
        Assert.Equal(PolicyRefusal.DebugNotAllowed, Judge(_tee.SgxQuote(Binding(), App with { Debug = true }), SgxPolicy).Refusal);
    }

    [Fact]
    public void A_td_is_judged_on_mrtd_and_its_rtmrs()
    {
        var td = new TestTd();
        string Hex(System.Collections.Immutable.ImmutableArray<byte> b) => Convert.ToHexStringLower(b.AsSpan());
        var policy = new AttestationPolicy { Tee = TeeType.Tdx, TdxMeasurements = [new TdxMeasurementRule(Hex(td.MrTd), Rtmr3: Hex(td.Rtmrs[3]))] };
        var quote = _tee.TdxQuote(Binding(), td);
        var result = Verifier().Verify(quote, _tee.Collateral(TeeType.Tdx), At);

        Assert.True(policy.Evaluate(result, At, _sessionKey, _challenge).Accepted);
        var otherImage = policy with { TdxMeasurements = [new TdxMeasurementRule(Hex(td.MrTd), Rtmr3: new string('0', 96))] };
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, otherImage.Evaluate(result, At, _sessionKey, _challenge).Refusal);
        Assert.Equal(PolicyRefusal.TeeTypeMismatch, SgxPolicy.Evaluate(result, At, _sessionKey, _challenge).Refusal);
    }

    private byte[] Binding() => ReportDataBinding.Compute(_sessionKey, _challenge);

    private DcapQuoteVerifier Verifier() => new(new QuoteVerificationOptions { TestRootsSha256Hex = [_tee.RootSha256Hex] });

    private PolicyDecision Judge(byte[] quote, AttestationPolicy policy, TestCollateralOptions? collateral = null) =>
        policy.Evaluate(Verifier().Verify(quote, _tee.Collateral(TeeType.Sgx, collateral), At), At, _sessionKey, _challenge);
}
