using System.Security.Cryptography;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

/// <summary>The pure admission rule the dispatch and the secret service share, over the library's own types.</summary>
public sealed class TeeAdmissionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] MrEnclave = Enumerable.Repeat((byte)0x42, 32).ToArray();

    private static AttestationPolicy Policy(bool allowSimulated = true) => new()
    {
        Tee = TeeType.Sgx, MrEnclaves = [Convert.ToHexString(MrEnclave)], AllowSimulated = allowSimulated,
    };

    private static QuoteVerificationResult Simulated(byte[]? mrEnclave = null, bool debug = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = new SimulatedEvidenceClaims { Tee = TeeType.Sgx, ReportData = [.. new byte[64]], MrEnclave = [.. mrEnclave ?? MrEnclave], Debug = debug };
        var result = new SimulatedEvidenceVerifier().Verify(SimulatedEvidence.Create(claims, key, Now), Now);
        Assert.True(result.IsVerified, result.FailureMessage);
        return result;
    }

    private static EvidenceVerdict Verdict(QuoteVerificationResult? result = null)
    {
        var r = result ?? Simulated();
        return new EvidenceVerdict(true, null, r.Simulated, r);
    }

    [Fact]
    public void Fresh_evidence_with_an_accepted_measurement_is_admitted()
    {
        var decision = TeeAdmission.Decide(Policy(), Verdict(), poolAllowsSimulation: true, Now);
        Assert.True(decision.Admitted, decision.Message);
        Assert.Null(decision.PolicyRefusal);
    }

    [Fact]
    public void The_refusals_come_in_order_and_each_has_its_own_reason()
    {
        Assert.Equal(AdmissionRefusal.NoPolicy, TeeAdmission.Decide(null, Verdict(), true, Now).Refusal);
        Assert.Equal(AdmissionRefusal.NoEvidence, TeeAdmission.Decide(Policy(), null, true, Now).Refusal);

        var unverified = TeeAdmission.Decide(Policy(), Verdict() with { Verified = false, Failure = "REPORTDATA does not bind" }, true, Now);
        Assert.Equal(AdmissionRefusal.EvidenceNotVerified, unverified.Refusal);
        Assert.Equal("the worker's evidence did not verify: REPORTDATA does not bind", unverified.Message);

        // A pool that refuses simulation refuses it before the app's policy is consulted.
        var pool = TeeAdmission.Decide(Policy(allowSimulated: false), Verdict(), poolAllowsSimulation: false, Now);
        Assert.Equal(AdmissionRefusal.SimulationNotAllowedByPool, pool.Refusal);
        Assert.Null(pool.PolicyRefusal);
    }

    [Fact]
    public void A_policy_refusal_carries_the_policys_precise_reason()
    {
        Assert.Equal(PolicyRefusal.SimulatedEvidenceNotAllowed, TeeAdmission.Decide(Policy(allowSimulated: false), Verdict(), true, Now).PolicyRefusal);
        Assert.Equal(PolicyRefusal.MeasurementNotAllowed, TeeAdmission.Decide(Policy(), Verdict(Simulated(mrEnclave: new byte[32])), true, Now).PolicyRefusal);
        Assert.Equal(PolicyRefusal.DebugNotAllowed, TeeAdmission.Decide(Policy(), Verdict(Simulated(debug: true)), true, Now).PolicyRefusal);

        var stale = TeeAdmission.Decide(Policy() with { MaxEvidenceAge = TimeSpan.FromMinutes(30) }, Verdict(), true, Now.AddHours(1));
        Assert.Equal(AdmissionRefusal.PolicyRefused, stale.Refusal);
        Assert.Equal(PolicyRefusal.EvidenceTooOld, stale.PolicyRefusal);
        Assert.False(string.IsNullOrEmpty(stale.Message));
    }
}
