using System.Collections.Immutable;
using System.Security.Cryptography;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

public sealed class PolicyTests
{
    private static readonly DcapQuoteVerifier Verifier = new();

    private static QuoteVerificationResult Verified(string id)
    {
        var v = SharedVectors.Get(id);
        var result = Verifier.Verify(v.Quote, v.LoadCollateral(), v.At!.Value);
        Assert.True(result.IsVerified);
        return result;
    }

    private static string Field(string id, string name) => SharedVectors.Get(id).Fields.GetProperty(name).GetString()!;

    [Fact]
    public void A_tdx_policy_accepts_matching_mrtd_and_rtmrs_when_up_to_date()
    {
        const string id = "phala-dcap-qvl/tdx_quote";
        var result = Verified(id);
        var policy = new AttestationPolicy
        {
            Tee = TeeType.Tdx,
            TdxMeasurements = [new TdxMeasurementRule(Field(id, "mrtd"), Rtmr0: Field(id, "rtmr0"), Rtmr1: Field(id, "rtmr1").ToUpperInvariant())],
        };
        var decision = policy.Evaluate(result, result.EvaluatedAt.AddMinutes(10));
        Assert.True(decision.Accepted, decision.Message);

        var wrongRtmr = policy with { TdxMeasurements = [new TdxMeasurementRule(Field(id, "mrtd"), Rtmr2: new string('0', 96))] };
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, wrongRtmr.Evaluate(result, result.EvaluatedAt).Refusal);
        Assert.Equal(PolicyRefusal.NoMeasurementsConfigured, (policy with { TdxMeasurements = [] }).Evaluate(result, result.EvaluatedAt).Refusal);
        Assert.Equal(PolicyRefusal.TeeTypeMismatch, (policy with { Tee = TeeType.Sgx }).Evaluate(result, result.EvaluatedAt).Refusal);
    }

    [Fact]
    public void The_default_accepts_only_up_to_date_and_named_advisories_open_sw_hardening()
    {
        const string id = "teepot/azure"; // SWHardeningNeeded [INTEL-SA-00615]
        var result = Verified(id);
        var policy = new AttestationPolicy { Tee = TeeType.Sgx, MrEnclaves = [Field(id, "mrenclave")] };
        Assert.Equal(PolicyRefusal.TcbStatusNotAccepted, policy.Evaluate(result, result.EvaluatedAt).Refusal);

        var withAdvisory = policy with { AcceptedTcbStatuses = [new(TcbStatus.UpToDate), new(TcbStatus.SWHardeningNeeded, ["INTEL-SA-00615"])] };
        Assert.True(withAdvisory.Evaluate(result, result.EvaluatedAt).Accepted);

        var otherAdvisory = policy with { AcceptedTcbStatuses = [new(TcbStatus.SWHardeningNeeded, ["INTEL-SA-00657"])] };
        Assert.Equal(PolicyRefusal.AdvisoryNotAccepted, otherAdvisory.Evaluate(result, result.EvaluatedAt).Refusal);

        var revoked = result with { Status = TcbStatus.Revoked };
        Assert.Equal(PolicyRefusal.TcbStatusNotAccepted, (policy with { AcceptedTcbStatuses = [new(TcbStatus.Revoked)] }).Evaluate(revoked, result.EvaluatedAt).Refusal);
    }

    [Fact]
    public void An_sgx_signer_rule_checks_product_and_minimum_svn()
    {
        const string id = "phala-dcap-qvl/sgx_quote"; // ISVPRODID 0, ISVSVN 0
        var result = Verified(id);
        var statuses = new[] { new TcbStatusRule(TcbStatus.ConfigurationAndSWHardeningNeeded) };
        var signer = Field(id, "mrsigner");
        Assert.True(new AttestationPolicy { Tee = TeeType.Sgx, Signers = [new(signer, 0, 0)], AcceptedTcbStatuses = statuses }.Evaluate(result, result.EvaluatedAt).Accepted);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, new AttestationPolicy { Tee = TeeType.Sgx, Signers = [new(signer, 0, 1)], AcceptedTcbStatuses = statuses }.Evaluate(result, result.EvaluatedAt).Refusal);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, new AttestationPolicy { Tee = TeeType.Sgx, Signers = [new(signer, 7, 0)], AcceptedTcbStatuses = statuses }.Evaluate(result, result.EvaluatedAt).Refusal);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, new AttestationPolicy { Tee = TeeType.Sgx, MrEnclaves = [new string('a', 64)], AcceptedTcbStatuses = statuses }.Evaluate(result, result.EvaluatedAt).Refusal);
    }

    [Fact]
    public void Debug_enclaves_are_refused_unless_allowed()
    {
        const string id = "teepot/vault_proxy";
        var result = Verified(id);
        var policy = new AttestationPolicy
        {
            Tee = TeeType.Sgx,
            MrEnclaves = [Field(id, "mrenclave")],
            AcceptedTcbStatuses = [new(TcbStatus.SWHardeningNeeded, ["INTEL-SA-00615"])],
        };
        Assert.Equal(PolicyRefusal.DebugNotAllowed, policy.Evaluate(result, result.EvaluatedAt).Refusal);
        Assert.True((policy with { AllowDebug = true }).Evaluate(result, result.EvaluatedAt).Accepted);
    }

    [Fact]
    public void Evidence_must_be_fresh()
    {
        const string id = "phala-dcap-qvl/tdx_quote";
        var result = Verified(id);
        var policy = new AttestationPolicy { Tee = TeeType.Tdx, TdxMeasurements = [new(Field(id, "mrtd"))], MaxEvidenceAge = TimeSpan.FromMinutes(30) };
        Assert.True(policy.Evaluate(result, result.EvaluatedAt.AddMinutes(30)).Accepted);
        Assert.Equal(PolicyRefusal.EvidenceTooOld, policy.Evaluate(result, result.EvaluatedAt.AddMinutes(31)).Refusal);
        Assert.Equal(PolicyRefusal.EvidenceFromFuture, policy.Evaluate(result, result.EvaluatedAt.AddMinutes(-5)).Refusal);
    }

    [Fact]
    public void Failed_verification_is_always_refused()
    {
        var policy = new AttestationPolicy { Tee = TeeType.Sgx, MrEnclaves = [new string('0', 64)], AllowSimulated = true, AllowDebug = true };
        var failed = QuoteVerificationResult.Failed(VerificationFailureReason.QuoteSignatureInvalid, "x", DateTimeOffset.UnixEpoch);
        Assert.Equal(PolicyRefusal.VerificationFailed, policy.Evaluate(failed, DateTimeOffset.UnixEpoch).Refusal);
    }

    [Fact]
    public void Report_data_binds_session_key_and_challenge()
    {
        using var session = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = session.ExportSubjectPublicKeyInfo();
        var challenge = ReportDataBinding.NewChallenge();
        var reportData = ReportDataBinding.Compute(publicKey, challenge);

        Assert.Equal(64, reportData.Length);
        Assert.Equal(SHA256.HashData([.. publicKey, .. challenge]), reportData[..32]);
        Assert.All(reportData[32..], b => Assert.Equal(0, b));
        Assert.True(ReportDataBinding.Matches(reportData, publicKey, challenge));
        Assert.False(ReportDataBinding.Matches(reportData, publicKey, ReportDataBinding.NewChallenge()));
        Assert.False(ReportDataBinding.Matches(reportData, [.. publicKey, 0], challenge));
        Assert.Throws<ArgumentException>(() => ReportDataBinding.Compute(publicKey, new byte[16]));

        // Through the policy, with simulated evidence carrying that REPORTDATA.
        using var simKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var mrTd = Enumerable.Repeat((byte)0x11, 48).ToArray();
        var evidence = SimulatedEvidence.Create(new SimulatedEvidenceClaims { Tee = TeeType.Tdx, ReportData = [.. reportData], MrTd = [.. mrTd] }, simKey, now);
        var result = new SimulatedEvidenceVerifier().Verify(evidence, now);
        var policy = new AttestationPolicy { Tee = TeeType.Tdx, TdxMeasurements = [new(Convert.ToHexString(mrTd))], AllowSimulated = true };
        Assert.True(policy.Evaluate(result, now, publicKey, challenge).Accepted);
        Assert.Equal(PolicyRefusal.ReportDataMismatch, policy.Evaluate(result, now, publicKey, ReportDataBinding.NewChallenge()).Refusal);
    }

    [Fact]
    public void A_real_vectors_report_data_does_not_bind_an_arbitrary_session()
    {
        const string id = "phala-dcap-qvl/tdx_quote";
        var result = Verified(id);
        var policy = new AttestationPolicy { Tee = TeeType.Tdx, TdxMeasurements = [new(Field(id, "mrtd"))] };
        Assert.Equal(PolicyRefusal.ReportDataMismatch, policy.Evaluate(result, result.EvaluatedAt, [1, 2, 3], new byte[32]).Refusal);
    }

    internal static ImmutableArray<byte> Bytes(byte value, int count) => [.. Enumerable.Repeat(value, count)];
}
