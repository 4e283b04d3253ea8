using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

/// <summary>Each kind of damage gives its own failure — never an exception, never a pass.</summary>
public sealed class MalformedInputTests
{
    private static readonly DcapQuoteVerifier Strict = new();
    private static readonly DcapQuoteVerifier NoRevocation = new(new QuoteVerificationOptions { CheckRevocation = false });

    public static TheoryData<string> Valid => new() { "phala-dcap-qvl/sgx_quote", "phala-dcap-qvl/tdx_quote", "teepot/tdx_1", "teepot/azure" };

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_valid_vector_passes_unchanged(string id) => Assert.True(Run(id, SharedVectors.Get(id).Quote).IsVerified);

    [Theory]
    [MemberData(nameof(Valid))]
    public void Truncated_quotes_fail_as_truncated(string id)
    {
        var quote = SharedVectors.Get(id).Quote;
        var q = QuoteSurgery.Parse(quote);
        foreach (var length in new[] { 0, 1, 47, 48, 200, q.SignedData.Length, q.SignedData.Length + 3, q.SignedData.Length + 100, q.Length - 1 })
        {
            var result = Run(id, quote[..length]);
            Assert.Equal(VerificationFailureReason.TruncatedQuote, result.Failure);
        }
    }

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    [InlineData((ushort)6)]
    [InlineData((ushort)0xFFFF)]
    public void Wrong_versions_fail_as_unsupported(ushort version)
    {
        var quote = SharedVectors.Get("phala-dcap-qvl/sgx_quote").Quote;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(quote, version);
        Assert.Equal(VerificationFailureReason.UnsupportedVersion, Run("phala-dcap-qvl/sgx_quote", quote).Failure);
    }

    [Fact]
    public void An_unknown_attestation_key_type_or_tee_type_fails_precisely()
    {
        const string id = "phala-dcap-qvl/tdx_quote";
        var keyType = SharedVectors.Get(id).Quote;
        keyType[2] = 3; // ECDSA P-384
        Assert.Equal(VerificationFailureReason.UnsupportedAttestationKeyType, Run(id, keyType).Failure);

        var teeType = SharedVectors.Get(id).Quote;
        teeType[4] = 0x42;
        Assert.Equal(VerificationFailureReason.UnsupportedTeeType, Run(id, teeType).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_corrupted_quote_signature_byte_fails_the_quote_signature(string id)
    {
        var quote = SharedVectors.Get(id).Quote;
        var q = QuoteSurgery.Parse(quote);
        Assert.Equal(VerificationFailureReason.QuoteSignatureInvalid, Run(id, QuoteSurgery.Flip(quote, QuoteSurgery.QuoteSignatureOffset(q) + 5)).Failure);
        Assert.Equal(VerificationFailureReason.QuoteSignatureInvalid, Run(id, QuoteSurgery.Flip(quote, QuoteSurgery.QuoteSignatureOffset(q) + 63)).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_changed_measurement_fails_the_quote_signature(string id)
    {
        var quote = SharedVectors.Get(id).Quote;
        var q = QuoteSurgery.Parse(quote);
        // Last byte of REPORTDATA: the end of the signed region.
        Assert.Equal(VerificationFailureReason.QuoteSignatureInvalid, Run(id, QuoteSurgery.Flip(quote, q.SignedData.Length - 1)).Failure);
        // A header byte (user data).
        Assert.Equal(VerificationFailureReason.QuoteSignatureInvalid, Run(id, QuoteSurgery.Flip(quote, 40)).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_corrupted_qe_report_or_its_signature_fails_the_qe_report_signature(string id)
    {
        var quote = SharedVectors.Get(id).Quote;
        var q = QuoteSurgery.Parse(quote);
        Assert.Equal(VerificationFailureReason.QeReportSignatureInvalid, Run(id, QuoteSurgery.Flip(quote, QuoteSurgery.QeReportSignatureOffset(q) + 10)).Failure);
        Assert.Equal(VerificationFailureReason.QeReportSignatureInvalid, Run(id, QuoteSurgery.Flip(quote, QuoteSurgery.QeReportOffset(q) + 258)).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_changed_attestation_key_or_auth_data_breaks_the_binding(string id)
    {
        var quote = SharedVectors.Get(id).Quote;
        var q = QuoteSurgery.Parse(quote);
        Assert.Equal(VerificationFailureReason.AttestationKeyBindingInvalid, Run(id, QuoteSurgery.Flip(quote, QuoteSurgery.AttestationKeyOffset(q) + 7)).Failure);
        Assert.Equal(VerificationFailureReason.AttestationKeyBindingInvalid, Run(id, QuoteSurgery.Flip(quote, QuoteSurgery.QeAuthDataOffset(q))).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_pck_chain_to_another_root_is_untrusted(string id)
    {
        var quote = SharedVectors.Get(id).Quote;
        var q = QuoteSurgery.Parse(quote);
        var pem = Encoding.ASCII.GetString(q.CertificationData.AsSpan()).TrimEnd('\0');
        var blocks = pem.Split("-----END CERTIFICATE-----", StringSplitOptions.RemoveEmptyEntries)
            .Where(b => b.Contains("BEGIN", StringComparison.Ordinal)).Select(b => b.Trim() + "\n-----END CERTIFICATE-----\n").ToList();
        Assert.Equal(3, blocks.Count);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var fakeRoot = request.CreateSelfSigned(DateTimeOffset.Parse("2018-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse("2049-12-31T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var substituted = blocks[0] + blocks[1] + fakeRoot.ExportCertificatePem() + "\n";

        var result = Run(id, QuoteSurgery.WithCertificationData(q, Encoding.ASCII.GetBytes(substituted)));
        Assert.Equal(VerificationFailureReason.UntrustedRoot, result.Failure);

        // Dropping the root entirely leaves a chain that does not end in the pin either.
        Assert.Equal(VerificationFailureReason.UntrustedRoot, Run(id, QuoteSurgery.WithCertificationData(q, Encoding.ASCII.GetBytes(blocks[0] + blocks[1]))).Failure);
        // Only the leaf: too short to be a chain.
        Assert.Equal(VerificationFailureReason.CertificateChainInvalid, Run(id, QuoteSurgery.WithCertificationData(q, Encoding.ASCII.GetBytes(blocks[0]))).Failure);
        // Intermediate and leaf swapped.
        Assert.Equal(VerificationFailureReason.CertificateChainInvalid, Run(id, QuoteSurgery.WithCertificationData(q, Encoding.ASCII.GetBytes(blocks[1] + blocks[0] + blocks[2]))).Failure);
        // The rebuilt original still verifies, so the failures above are the substitutions' doing.
        Assert.True(Run(id, QuoteSurgery.WithCertificationData(q, [.. q.CertificationData])).IsVerified);
    }

    [Fact]
    public void A_pinned_test_root_rejects_intels_root()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var verifier = new DcapQuoteVerifier(new QuoteVerificationOptions { TrustedRootSha256Hex = new string('0', 64) });
        Assert.Equal(VerificationFailureReason.UntrustedRoot, verifier.Verify(v.Quote, v.LoadCollateral(), v.At!.Value).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Collateral_after_its_next_update_is_expired(string id)
    {
        var v = SharedVectors.Get(id);
        var collateral = v.LoadCollateral();
        var nextUpdate = Date(collateral.TcbInfo, "nextUpdate");
        var result = Strict.Verify(v.Quote, collateral, nextUpdate);
        Assert.Equal(VerificationFailureReason.CollateralExpired, result.Failure);
        Assert.Equal(VerificationFailureReason.CollateralExpired, Strict.Verify(v.Quote, collateral, nextUpdate.AddDays(30)).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Collateral_before_its_issue_date_is_not_yet_valid(string id)
    {
        var v = SharedVectors.Get(id);
        var collateral = v.LoadCollateral();
        var issued = Date(collateral.TcbInfo, "issueDate");
        Assert.Equal(VerificationFailureReason.CollateralNotYetValid, Strict.Verify(v.Quote, collateral, issued.AddSeconds(-1)).Failure);
    }

    [Fact]
    public void An_expired_crl_is_reported_as_such()
    {
        // teepot/azure: CRL windows close after the TCB info's? Shorten instead: move only the CRL out of date by
        // pairing the vector with the go-tdx-guest CRLs, which expired in 2023-07/2024-04.
        var v = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
        var old = SharedVectors.Get("go-tdx-guest/tdx_prod_quote_SPR_E4.dat").LoadCollateral();
        var collateral = v.LoadCollateral() with { PckCrl = old.PckCrl };
        Assert.Equal(VerificationFailureReason.CrlExpired, Strict.Verify(v.Quote, collateral, v.At!.Value).Failure);
    }

    [Fact]
    public void A_pck_crl_of_the_wrong_ca_is_invalid()
    {
        // sgx_quote's PCK is issued by the Processor CA; tdx_quote's collateral carries the Platform CA CRL.
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var tdx = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
        var collateral = v.LoadCollateral() with { PckCrl = tdx.LoadCollateral().PckCrl };
        Assert.Equal(VerificationFailureReason.CrlInvalid, Strict.Verify(v.Quote, collateral, tdx.At!.Value).Failure); // both windows open
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Tampered_tcb_info_text_fails_its_signature(string id)
    {
        var v = SharedVectors.Get(id);
        var collateral = v.LoadCollateral();
        var tampered = collateral with { TcbInfo = ChangeOneDigit(collateral.TcbInfo, "\"tcbEvaluationDataNumber\":") };
        Assert.Equal(VerificationFailureReason.TcbInfoSignatureInvalid, Strict.Verify(v.Quote, tampered, v.At!.Value).Failure);

        // Re-serialising (here: adding one space) also breaks the signature: the exact text is signed.
        var spaced = collateral with { TcbInfo = collateral.TcbInfo.Replace("\"fmspc\":", "\"fmspc\": ", StringComparison.Ordinal) };
        Assert.Equal(VerificationFailureReason.TcbInfoSignatureInvalid, Strict.Verify(v.Quote, spaced, v.At!.Value).Failure);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Tampered_qe_identity_text_fails_its_signature(string id)
    {
        var v = SharedVectors.Get(id);
        var collateral = v.LoadCollateral();
        var tampered = collateral with { QeIdentity = ChangeOneDigit(collateral.QeIdentity, "\"isvprodid\":") };
        Assert.Equal(VerificationFailureReason.QeIdentitySignatureInvalid, Strict.Verify(v.Quote, tampered, v.At!.Value).Failure);
    }

    [Fact]
    public void A_corrupted_collateral_signature_fails_it()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
        var collateral = v.LoadCollateral();
        var signature = collateral.TcbInfoSignature.ToArray();
        signature[0] ^= 0x80;
        Assert.Equal(VerificationFailureReason.TcbInfoSignatureInvalid, Strict.Verify(v.Quote, collateral with { TcbInfoSignature = [.. signature] }, v.At!.Value).Failure);
        Assert.Equal(VerificationFailureReason.TcbInfoSignatureInvalid, Strict.Verify(v.Quote, collateral with { TcbInfoSignature = [.. signature[..63]] }, v.At!.Value).Failure);
    }

    [Fact]
    public void Collateral_for_another_platform_or_tee_does_not_apply()
    {
        // sw_hardening quote (FMSPC 00606A000000) with out_of_date's collateral (FMSPC 00706E470000).
        var quote = SharedVectors.Get("teepot/sw_hardening");
        var other = SharedVectors.Get("teepot/out_of_date");
        var result = NoRevocation.Verify(quote.Quote, other.LoadCollateral(), quote.At!.Value);
        Assert.Equal(VerificationFailureReason.FmspcMismatch, result.Failure);

        // A TDX quote with SGX collateral (both valid at this instant).
        var tdx = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
        var sgxCollateral = SharedVectors.Get("phala-dcap-qvl/sgx_quote").LoadCollateral();
        Assert.Equal(VerificationFailureReason.TcbInfoMismatch, NoRevocation.Verify(tdx.Quote, sgxCollateral, tdx.At!.Value).Failure);
    }

    [Fact]
    public void A_qe_identity_for_the_other_tee_is_a_mismatch()
    {
        var tdx = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
        var sgxCollateral = SharedVectors.Get("phala-dcap-qvl/sgx_quote").LoadCollateral();
        var collateral = tdx.LoadCollateral() with
        {
            QeIdentity = sgxCollateral.QeIdentity,
            QeIdentitySignature = sgxCollateral.QeIdentitySignature,
            QeIdentityIssuerChain = sgxCollateral.QeIdentityIssuerChain,
        };
        Assert.Equal(VerificationFailureReason.QeIdentityMismatch, Strict.Verify(tdx.Quote, collateral, tdx.At!.Value).Failure);
    }

    [Fact]
    public void Missing_or_malformed_collateral_fails_precisely()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var collateral = v.LoadCollateral();
        Assert.Equal(VerificationFailureReason.CollateralMissing, Strict.Verify(v.Quote, null, v.At!.Value).Failure);
        Assert.Equal(VerificationFailureReason.CrlMissing, Strict.Verify(v.Quote, collateral with { PckCrl = null }, v.At!.Value).Failure);
        Assert.Equal(VerificationFailureReason.MalformedCollateral, Strict.Verify(v.Quote, collateral with { TcbInfo = "{not json" }, v.At!.Value).Failure);
        Assert.Equal(VerificationFailureReason.MalformedCollateral, Strict.Verify(v.Quote, collateral with { RootCaCrl = [0x30, 0x03, 0x02, 0x01, 0x01] }, v.At!.Value).Failure);
        Assert.Equal(VerificationFailureReason.MalformedCertificate, Strict.Verify(v.Quote, collateral with { TcbInfoIssuerChain = "garbage" }, v.At!.Value).Failure);
        Assert.Throws<FormatException>(() => QuoteCollateral.FromDcapQvlJson("[]"));
        Assert.Throws<FormatException>(() => QuoteCollateral.FromDcapQvlJson("{\"tcb_info\": 5}"));
    }

    [Fact]
    public void The_eppid_quote_parses_but_cannot_be_verified()
    {
        var v = SharedVectors.Get("oasis-core/quote_v3_ecdsa_p256_eppid.bin");
        var collateral = SharedVectors.Get("oasis-core/quote_v3_ecdsa_p256_pck_chain.bin").LoadCollateral();
        Assert.Equal(VerificationFailureReason.UnsupportedCertificationDataType, NoRevocation.Verify(v.Quote, collateral, DateTimeOffset.UnixEpoch).Failure);
    }

    private static QuoteVerificationResult Run(string id, byte[] quote)
    {
        var v = SharedVectors.Get(id);
        return Strict.Verify(quote, v.LoadCollateral(), v.At!.Value);
    }

    private static DateTimeOffset Date(string json, string field)
    {
        using var d = System.Text.Json.JsonDocument.Parse(json);
        return DateTimeOffset.Parse(d.RootElement.GetProperty(field).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string ChangeOneDigit(string text, string after)
    {
        var index = text.IndexOf(after, StringComparison.Ordinal) + after.Length;
        Assert.True(char.IsAsciiDigit(text[index]));
        var replacement = text[index] == '9' ? '8' : (char)(text[index] + 1);
        return string.Concat(text.AsSpan(0, index), replacement.ToString(), text.AsSpan(index + 1));
    }
}
