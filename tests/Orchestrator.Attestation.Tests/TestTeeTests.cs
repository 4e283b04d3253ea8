using System.Security.Cryptography;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Verification;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Attestation.Tests;

/// <summary>
/// Quotes from the test TEE (a test root CA, Intel's byte formats) run the whole DCAP verifier: refused
/// unless the test root is trusted, then judged exactly as Intel-rooted quotes are.
/// </summary>
public sealed class TestTeeTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly TestTee _tee = new(At);
    private readonly byte[] _reportData = SHA256.HashData("key and challenge"u8).Concat(new byte[32]).ToArray();

    public void Dispose() => _tee.Dispose();

    [Theory]
    [InlineData(TeeType.Sgx)]
    [InlineData(TeeType.Tdx)]
    public void A_test_root_collateral_has_a_version_a_verdict_can_carry(TeeType tee)
    {
        var version = CollateralVersion.Of(_tee.Collateral(tee));

        Assert.Matches("^[0-9a-f]{16}$", version.Fingerprint);
        Assert.True(version.TcbEvaluationDataNumber > 0);
        Assert.NotNull(version.PckCrlNumber);
    }

    [Theory]
    [InlineData(TeeType.Sgx, 3)]
    [InlineData(TeeType.Tdx, 4)]
    public void A_test_quote_verifies_under_its_trusted_test_root_with_its_measurements(TeeType tee, int version)
    {
        var result = Trusting().Verify(_tee.Quote(tee, _reportData), _tee.Collateral(tee), At);

        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.Equal(TcbStatus.UpToDate, result.Status);
        Assert.Equal(tee, result.TeeType);
        Assert.Equal(version, result.QuoteVersion);
        Assert.Equal(_tee.Platform.FmspcHex, result.Fmspc);
        Assert.True(result.RevocationChecked);
        var reportData = tee == TeeType.Sgx ? result.Enclave!.ReportData : result.TdReport!.ReportData;
        Assert.Equal(_reportData, reportData.ToArray());
        if (tee == TeeType.Sgx)
        {
            Assert.Equal(new TestEnclave().MrEnclave.ToArray(), result.Enclave!.MrEnclave.ToArray());
        }
        else
        {
            Assert.Equal(new TestTd().MrTd.ToArray(), result.TdReport!.MrTd.ToArray());
        }
    }

    [Theory]
    [InlineData(TeeType.Sgx)]
    [InlineData(TeeType.Tdx)]
    public void The_same_quote_is_refused_by_a_verifier_that_trusts_only_intel(TeeType tee)
    {
        var result = new DcapQuoteVerifier().Verify(_tee.Quote(tee, _reportData), _tee.Collateral(tee), At);

        Assert.False(result.IsVerified);
        Assert.Equal(VerificationFailureReason.UntrustedRoot, result.Failure);
        Assert.Contains("not the pinned Intel SGX Root CA", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quote_under_another_test_root_is_refused_naming_both_anchors()
    {
        using var other = new TestTee(At);
        var result = Trusting().Verify(other.SgxQuote(_reportData), other.Collateral(TeeType.Sgx), At);

        Assert.Equal(VerificationFailureReason.UntrustedRoot, result.Failure);
        Assert.Contains("neither the pinned Intel SGX Root CA nor a configured test root", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_revoked_pck_certificate_is_refused_by_the_test_crl()
    {
        var result = Trusting().Verify(_tee.SgxQuote(_reportData), _tee.Collateral(TeeType.Sgx, new TestCollateralOptions { RevokePck = true }), At);

        Assert.Equal(VerificationFailureReason.CertificateRevoked, result.Failure);
    }

    [Theory]
    [InlineData(TeeType.Sgx)]
    [InlineData(TeeType.Tdx)]
    public void An_out_of_date_level_verifies_with_its_status_and_advisories_for_the_policy_to_judge(TeeType tee)
    {
        var collateral = _tee.Collateral(tee, new TestCollateralOptions { PlatformStatus = TcbStatus.OutOfDate });

        var result = Trusting().Verify(_tee.Quote(tee, _reportData), collateral, At);

        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.Equal(TcbStatus.OutOfDate, result.Status);
        Assert.Equal(["INTEL-SA-00000-TEST"], result.AdvisoryIds.ToArray());
    }

    [Fact]
    public void Collateral_past_its_next_update_is_refused()
    {
        var result = Trusting().Verify(_tee.SgxQuote(_reportData), _tee.Collateral(TeeType.Sgx), At.AddDays(31));

        Assert.False(result.IsVerified);
        Assert.Equal(VerificationFailureReason.CollateralExpired, result.Failure);
    }

    [Fact]
    public void A_changed_report_data_breaks_the_quote_signature()
    {
        var quote = _tee.SgxQuote(_reportData);
        quote[48 + 320] ^= 1; // first REPORTDATA byte of the SGX report body

        var result = Trusting().Verify(quote, _tee.Collateral(TeeType.Sgx), At);

        Assert.Equal(VerificationFailureReason.QuoteSignatureInvalid, result.Failure);
    }

    [Fact]
    public void The_written_files_round_trip_through_the_collateral_reader_and_the_root_reader()
    {
        var dir = Directory.CreateTempSubdirectory("test-tee-").FullName;
        try
        {
            var files = _tee.WriteFiles(dir);
            var collateral = QuoteCollateral.FromDcapQvlJson(File.ReadAllText(files.TdxCollateralPath));
            var root = TestRootCertificate.Sha256HexFromPemFile(files.RootPemPath);

            Assert.Equal(_tee.RootSha256Hex, root);
            var result = new DcapQuoteVerifier(new QuoteVerificationOptions { TestRootsSha256Hex = [root] }).Verify(_tee.TdxQuote(_reportData), collateral, At);
            Assert.True(result.IsVerified, result.FailureMessage);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_test_root_file_must_hold_exactly_one_self_signed_ca()
    {
        var chain = _tee.Pki.TcbSignerChainPem;
        var twoCertificates = Assert.Throws<FormatException>(() => TestRootCertificate.Sha256HexFromPem(chain, "chain.pem"));
        Assert.Contains("chain.pem holds 2 certificates", twoCertificates.Message, StringComparison.Ordinal);

        var notSelfSigned = Assert.Throws<FormatException>(() => TestRootCertificate.Sha256HexFromPem(_tee.Pki.PckCa.ExportCertificatePem(), "ca.pem"));
        Assert.Contains("is not a self-signed CA certificate", notSelfSigned.Message, StringComparison.Ordinal);

        Assert.Throws<FormatException>(() => TestRootCertificate.Sha256HexFromPem("no pem here", "empty.pem"));
    }

    private DcapQuoteVerifier Trusting() => new(new QuoteVerificationOptions { TestRootsSha256Hex = [_tee.RootSha256Hex] });
}
