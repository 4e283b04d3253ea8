using System.Security.Cryptography;
using System.Text;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Providers;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

public sealed class SimulatedEvidenceTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static SimulatedEvidenceClaims SgxClaims => new()
    {
        Tee = TeeType.Sgx,
        ReportData = PolicyTests.Bytes(0x42, 64),
        MrEnclave = PolicyTests.Bytes(0xAA, 32),
        MrSigner = PolicyTests.Bytes(0xBB, 32),
        IsvProdId = 3,
        IsvSvn = 9,
    };

    [Fact]
    public void Simulated_evidence_is_labelled_and_verifies_into_the_same_result_shape()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var evidence = SimulatedEvidence.Create(SgxClaims, key, Now);
        Assert.StartsWith("ORCH-SIMULATED-TEE-v1", Encoding.ASCII.GetString(evidence));
        Assert.True(SimulatedEvidence.IsSimulated(evidence));

        var result = new SimulatedEvidenceVerifier().Verify(evidence, Now);
        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.True(result.Simulated);
        Assert.Equal(TeeType.Sgx, result.TeeType);
        Assert.Equal(SgxClaims.MrEnclave.ToArray(), result.Enclave!.MrEnclave.ToArray());
        Assert.Equal(SgxClaims.MrSigner.ToArray(), result.Enclave.MrSigner.ToArray());
        Assert.Equal(3, result.Enclave.IsvProdId);
        Assert.Equal(9, result.Enclave.IsvSvn);
        Assert.Equal(SgxClaims.ReportData.ToArray(), result.ReportData.ToArray());
        Assert.False(result.IsDebug);
    }

    [Fact]
    public void The_policy_refuses_simulated_evidence_by_default()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = new SimulatedEvidenceVerifier().Verify(SimulatedEvidence.Create(SgxClaims, key, Now), Now);
        var policy = new AttestationPolicy { Tee = TeeType.Sgx, MrEnclaves = [Convert.ToHexString(SgxClaims.MrEnclave.AsSpan())] };

        var refused = policy.Evaluate(result, Now);
        Assert.False(refused.Accepted);
        Assert.Equal(PolicyRefusal.SimulatedEvidenceNotAllowed, refused.Refusal);

        var allowed = (policy with { AllowSimulated = true }).Evaluate(result, Now);
        Assert.True(allowed.Accepted);
        Assert.Contains("SIMULATED", allowed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tampered_or_foreign_simulated_evidence_does_not_verify()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var evidence = SimulatedEvidence.Create(SgxClaims, key, Now);

        for (var i = 0; i < evidence.Length; i += 7)
        {
            var copy = (byte[])evidence.Clone();
            copy[i] ^= 0x04;
            var result = new SimulatedEvidenceVerifier().Verify(copy, Now);
            Assert.False(result.IsVerified, $"flip at {i} verified");
        }

        Assert.False(new SimulatedEvidenceVerifier().Verify(evidence[..^1], Now).IsVerified);
        var pinned = new SimulatedEvidenceVerifier([Convert.ToHexString(SimulatedEvidence.RawPublicKey(other))]);
        Assert.Equal(VerificationFailureReason.SimulatedEvidenceInvalid, pinned.Verify(evidence, Now).Failure);
        Assert.True(new SimulatedEvidenceVerifier([Convert.ToHexString(SimulatedEvidence.RawPublicKey(key))]).Verify(evidence, Now).IsVerified);

        // Issued in the future relative to the instant.
        Assert.False(new SimulatedEvidenceVerifier().Verify(evidence, Now.AddHours(-1)).IsVerified);
    }

    [Fact]
    public async Task The_evidence_verifier_dispatches_between_simulated_and_dcap_evidence()
    {
        var dir = Directory.CreateTempSubdirectory("attest-ev-").FullName;
        try
        {
            var v = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
            var request = CollateralRequest.FromQuote(QuoteSurgery.Parse(v.Quote));
            File.Copy(SharedVectors.PathOf("phala-dcap-qvl/tdx_quote_collateral.json"), Path.Combine(dir, FileCollateralProvider.FileNameFor(request)));
            var verifier = new EvidenceVerifier(new FileCollateralProvider(dir));

            var real = await verifier.VerifyAsync(v.Quote, v.At!.Value);
            Assert.True(real.IsVerified, real.FailureMessage);
            Assert.False(real.Simulated);

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var simulated = await verifier.VerifyAsync(SimulatedEvidence.Create(SgxClaims, key, Now), Now);
            Assert.True(simulated.IsVerified);
            Assert.True(simulated.Simulated);

            Assert.Equal(VerificationFailureReason.UnknownEvidenceFormat, (await verifier.VerifyAsync(Encoding.ASCII.GetBytes("hello"), Now)).Failure);

            var noCollateral = await verifier.VerifyAsync(SharedVectors.Get("phala-dcap-qvl/sgx_quote").Quote, Now);
            Assert.Equal(VerificationFailureReason.CollateralMissing, noCollateral.Failure);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
