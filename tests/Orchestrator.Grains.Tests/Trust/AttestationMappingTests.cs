using System.Security.Cryptography;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Trust;
using Orchestrator.Simulation;

namespace Orchestrator.Grains.Tests.Trust;

/// <summary>The admission rule applied to registered app policies and stored verdicts (wire records mapped to the attestation library): no silo.</summary>
public sealed class AttestationMappingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly Address App = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    private static readonly string Good = SimulatedEnclave.DefaultMrEnclave;
    private static readonly TimeSpan DefaultAge = TimeSpan.FromHours(24);

    internal static AppAttestationPolicy Policy(bool allowSimulated = true) => new()
    {
        App = App, Tee = TeeKind.Sgx, MrEnclaves = [Good], AllowSimulated = allowSimulated,
    };

    internal static WorkerAttestation Sgx(string? mrEnclave = null, bool simulated = true, DateTimeOffset? at = null, string status = "UpToDate", IReadOnlyList<string>? advisories = null, bool debug = false) => new()
    {
        Verified = true, Tee = TeeKind.Sgx, TcbStatus = status, AdvisoryIds = advisories ?? [], MrEnclave = mrEnclave ?? Good,
        MrSigner = new string('0', 64), ReportData = new string('0', 128), Simulated = simulated, Debug = debug, VerifiedAt = at ?? Now,
        SessionPublicKey = new byte[64],
    };

    [Fact]
    public void Fresh_evidence_with_an_accepted_measurement_is_admitted()
    {
        var decision = AttestationMapping.Admit(Policy(), Sgx(), poolAllowsSimulation: true, Now, DefaultAge);
        Assert.True(decision.Admitted, decision.Message);
    }

    [Fact]
    public void Every_way_to_be_refused_has_its_own_reason()
    {
        Assert.Equal(AdmissionRefusal.NoPolicy, AttestationMapping.Admit(null, Sgx(), true, Now, DefaultAge).Refusal);
        Assert.Equal(AdmissionRefusal.NoEvidence, AttestationMapping.Admit(Policy(), null, true, Now, DefaultAge).Refusal);
        Assert.Equal(AdmissionRefusal.EvidenceNotVerified, AttestationMapping.Admit(Policy(), Sgx() with { Verified = false, Failure = "x" }, true, Now, DefaultAge).Refusal);
        Assert.Equal(AdmissionRefusal.SimulationNotAllowedByPool, AttestationMapping.Admit(Policy(), Sgx(), poolAllowsSimulation: false, Now, DefaultAge).Refusal);

        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, AttestationMapping.Admit(Policy(), Sgx(mrEnclave: new string('a', 64)), true, Now, DefaultAge).PolicyRefusal);
        Assert.Equal(PolicyRefusal.SimulatedEvidenceNotAllowed, AttestationMapping.Admit(Policy(allowSimulated: false), Sgx(), true, Now, DefaultAge).PolicyRefusal);
        Assert.Equal(PolicyRefusal.DebugNotAllowed, AttestationMapping.Admit(Policy(), Sgx(debug: true), true, Now, DefaultAge).PolicyRefusal);
        Assert.Equal(PolicyRefusal.TcbStatusNotAccepted, AttestationMapping.Admit(Policy(), Sgx(status: "OutOfDate"), true, Now, DefaultAge).PolicyRefusal);
        Assert.Equal(PolicyRefusal.TeeTypeMismatch, AttestationMapping.Admit(Policy() with { Tee = TeeKind.Tdx, MrEnclaves = [], TdxMeasurements = [new TdxMeasurement(new string('0', 96))] }, Sgx(), true, Now, DefaultAge).PolicyRefusal);
    }

    [Fact]
    public void The_default_production_configuration_never_accepts_simulated_evidence()
    {
        var defaults = Abstractions.Grains.PoolPolicy.Default;
        Assert.False(defaults.AllowSimulatedTee);
        Assert.Equal(AdmissionRefusal.SimulationNotAllowedByPool, AttestationMapping.Admit(Policy(), Sgx(), defaults.AllowSimulatedTee, Now, DefaultAge).Refusal);

        // An app policy does not allow simulation unless it says so, even in a pool that does.
        var strict = new AppAttestationPolicy { App = App, Tee = TeeKind.Sgx, MrEnclaves = [Good] };
        Assert.False(strict.AllowSimulated);
        Assert.Equal(PolicyRefusal.SimulatedEvidenceNotAllowed, AttestationMapping.Admit(strict, Sgx(), poolAllowsSimulation: true, Now, DefaultAge).PolicyRefusal);
        Assert.True(AttestationMapping.Admit(strict, Sgx(simulated: false), poolAllowsSimulation: false, Now, DefaultAge).Admitted);
    }

    [Fact]
    public void Evidence_ages_out_at_the_policys_maximum_age_or_else_the_silos_default()
    {
        var verified = Sgx(at: Now - TimeSpan.FromHours(2));
        Assert.True(AttestationMapping.Admit(Policy(), verified, true, Now, DefaultAge).Admitted);
        Assert.Equal(PolicyRefusal.EvidenceTooOld, AttestationMapping.Admit(Policy(), verified, true, Now, TimeSpan.FromHours(1)).PolicyRefusal);
        Assert.Equal(PolicyRefusal.EvidenceTooOld, AttestationMapping.Admit(Policy() with { MaxEvidenceAge = TimeSpan.FromMinutes(30) }, verified, true, Now, DefaultAge).PolicyRefusal);
        Assert.True(AttestationMapping.Admit(Policy() with { MaxEvidenceAge = TimeSpan.FromHours(3) }, verified, true, Now, TimeSpan.FromHours(1)).Admitted);
    }

    [Fact]
    public void Sgx_signers_need_product_and_minimum_svn_and_tcb_statuses_can_require_named_advisories()
    {
        var signer = new string('5', 64);
        var policy = Policy() with
        {
            MrEnclaves = [],
            Signers = [new SgxSigner(signer, 7, 3)],
            AcceptedTcbStatuses = [new TcbStatusAllowance("UpToDate"), new TcbStatusAllowance("SWHardeningNeeded", ["INTEL-SA-00615"])],
        };
        var ok = Sgx(mrEnclave: new string('e', 64)) with { MrSigner = signer, IsvProdId = 7, IsvSvn = 3 };
        Assert.True(AttestationMapping.Admit(policy, ok, true, Now, DefaultAge).Admitted);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, AttestationMapping.Admit(policy, ok with { IsvSvn = 2 }, true, Now, DefaultAge).PolicyRefusal);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, AttestationMapping.Admit(policy, ok with { IsvProdId = 8 }, true, Now, DefaultAge).PolicyRefusal);
        Assert.True(AttestationMapping.Admit(policy, ok with { TcbStatus = "SWHardeningNeeded", AdvisoryIds = ["INTEL-SA-00615"] }, true, Now, DefaultAge).Admitted);
        Assert.Equal(PolicyRefusal.AdvisoryNotAccepted, AttestationMapping.Admit(policy, ok with { TcbStatus = "SWHardeningNeeded", AdvisoryIds = ["INTEL-SA-00615", "INTEL-SA-00828"] }, true, Now, DefaultAge).PolicyRefusal);
    }

    [Fact]
    public void Tdx_policies_match_mrtd_and_the_rtmrs_they_name()
    {
        var mrTd = new string('d', 96);
        var rtmr1 = new string('1', 96);
        var policy = new AppAttestationPolicy { App = App, Tee = TeeKind.Tdx, TdxMeasurements = [new TdxMeasurement(mrTd, Rtmr1: rtmr1)], AllowSimulated = true };
        var td = new WorkerAttestation
        {
            Verified = true, Tee = TeeKind.Tdx, TcbStatus = "UpToDate", MrTd = mrTd, Rtmrs = [new string('0', 96), rtmr1, new string('2', 96), new string('3', 96)],
            ReportData = new string('0', 128), Simulated = true, VerifiedAt = Now,
        };
        Assert.True(AttestationMapping.Admit(policy, td, true, Now, DefaultAge).Admitted);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, AttestationMapping.Admit(policy, td with { Rtmrs = [new string('0', 96), new string('9', 96), new string('2', 96), new string('3', 96)] }, true, Now, DefaultAge).PolicyRefusal);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, AttestationMapping.Admit(policy, td with { MrTd = new string('e', 96) }, true, Now, DefaultAge).PolicyRefusal);
    }

    [Fact]
    public void Assessment_binds_the_session_key_and_the_challenge_so_evidence_cannot_be_replayed()
    {
        using var enclave = new SimulatedEnclave();
        var challenge = RandomNumberGenerator.GetBytes(32);
        var evidence = enclave.NewSession(challenge, Now);
        var result = new SimulatedEvidenceVerifier().Verify(evidence.Quote, Now);
        Assert.True(result.IsVerified, result.FailureMessage);

        var good = AttestationMapping.Assess(evidence, result, TeeKind.Sgx, Now);
        Assert.True(good.Verified, good.Failure);
        Assert.Equal(Good, good.MrEnclave);
        Assert.True(good.Simulated);
        Assert.Equal(evidence.EnclavePublicKey, good.SessionPublicKey);

        // Another machine replaying the quote answers another challenge, or brings another session key.
        var otherChallenge = AttestationMapping.Assess(evidence with { Challenge = RandomNumberGenerator.GetBytes(32) }, result, TeeKind.Sgx, Now);
        Assert.False(otherChallenge.Verified);
        Assert.Contains("REPORTDATA", otherChallenge.Failure, StringComparison.Ordinal);
        var otherKey = AttestationMapping.Assess(evidence with { EnclavePublicKey = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey()) }, result, TeeKind.Sgx, Now);
        Assert.False(otherKey.Verified);

        Assert.Contains("declared Tdx", AttestationMapping.Assess(evidence, result, TeeKind.Tdx, Now).Failure, StringComparison.Ordinal);
        Assert.Contains("format", AttestationMapping.Assess(evidence with { Format = EvidenceFormat.DcapQuote }, result, TeeKind.Sgx, Now).Failure, StringComparison.Ordinal);
        Assert.Contains("32 bytes", AttestationMapping.Assess(evidence with { Challenge = new byte[8] }, result, TeeKind.Sgx, Now).Failure, StringComparison.Ordinal);

        var tampered = (byte[])evidence.Quote.Clone();
        tampered[^1] ^= 1;
        var bad = AttestationMapping.Assess(evidence, new SimulatedEvidenceVerifier().Verify(tampered, Now), TeeKind.Sgx, Now);
        Assert.False(bad.Verified);
        Assert.Contains("SimulatedEvidenceInvalid", bad.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stored_verdict_judged_again_gives_the_same_decision_as_the_fresh_result()
    {
        using var enclave = new SimulatedEnclave(TeeKind.Tdx);
        var challenge = RandomNumberGenerator.GetBytes(32);
        var evidence = enclave.NewSession(challenge, Now);
        var result = new SimulatedEvidenceVerifier().Verify(evidence.Quote, Now);
        var stored = AttestationMapping.Assess(evidence, result, TeeKind.Tdx, Now);
        var policy = new AppAttestationPolicy { App = App, Tee = TeeKind.Tdx, TdxMeasurements = [new TdxMeasurement(SimulatedEnclave.MrTdOf(Good))], AllowSimulated = true };
        var library = AttestationMapping.ToPolicy(policy, DefaultAge);
        Assert.Equal(library.Evaluate(result, Now).Accepted, library.Evaluate(AttestationMapping.ToResult(stored), Now).Accepted);
        Assert.True(AttestationMapping.Admit(policy, stored, true, Now, DefaultAge).Admitted);
    }

    [Fact]
    public void A_registered_policy_reaches_the_pure_check_with_nothing_converted_away()
    {
        var wire = Policy() with
        {
            Signers = [new SgxSigner(new string('2', 64), 70000, -1)],
            AcceptedTcbStatuses = [new TcbStatusAllowance("Fine")],
            MaxEvidenceAge = TimeSpan.FromMinutes(-1),
        };
        var errors = AppPolicyRules.Validate(AttestationMapping.ToDraft(wire));
        Assert.Contains(errors, e => e.Contains("ISV product id 70000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("minimum ISV SVN -1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'Fine' is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("must not be negative", StringComparison.Ordinal));
        Assert.Contains("SGX or TDX, got None", Assert.Single(AppPolicyRules.Validate(AttestationMapping.ToDraft(Policy() with { Tee = TeeKind.None }))), StringComparison.Ordinal);
        Assert.Empty(AppPolicyRules.Validate(AttestationMapping.ToDraft(Policy())));
    }
}
