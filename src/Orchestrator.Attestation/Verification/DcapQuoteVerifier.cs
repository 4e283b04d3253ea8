using System.Security.Cryptography;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Attestation.Verification;

/// <summary>Verifies DCAP quotes; implemented by <see cref="DcapQuoteVerifier"/>.</summary>
public interface IQuoteVerifier
{
    /// <summary>Verifies a quote with its collateral at an instant. Never throws for bad input; failures are in the result.</summary>
    QuoteVerificationResult Verify(ReadOnlySpan<byte> quote, QuoteCollateral? collateral, DateTimeOffset at);
}

/// <summary>
/// Pure C# Intel DCAP ECDSA quote verification (SGX v3/v4/v5, TDX v4/v5), following Intel's
/// Quote Verification Library: PCK chain to the pinned root, CRLs, TCB info and QE identity
/// signatures and validity windows, QE report signature and attestation-key binding, quote
/// signature, QE identity, TDX module identity, TCB level selection and status convergence.
/// Thread-safe and stateless; time is an input.
/// </summary>
public sealed class DcapQuoteVerifier : IQuoteVerifier
{
    private readonly QuoteVerificationOptions _options;
    private readonly byte[][] _pinnedRoots;

    /// <summary>Creates a verifier with the given options (strict defaults when null).</summary>
    public DcapQuoteVerifier(QuoteVerificationOptions? options = null)
    {
        _options = options ?? QuoteVerificationOptions.Default;
        _pinnedRoots = [Convert.FromHexString(_options.TrustedRootSha256Hex), .. _options.TestRootsSha256Hex.Select(Convert.FromHexString)];
    }

    /// <inheritdoc />
    public QuoteVerificationResult Verify(ReadOnlySpan<byte> quote, QuoteCollateral? collateral, DateTimeOffset at)
    {
        var parsed = QuoteParser.Parse(quote, _options.RejectTrailingData);
        if (parsed.Quote is null)
        {
            return QuoteVerificationResult.Failed(parsed.Failure!.Value, parsed.Message!, at);
        }

        return Verify(parsed.Quote, collateral, at);
    }

    /// <summary>Verifies an already parsed quote. Never throws for bad input.</summary>
    public QuoteVerificationResult Verify(DcapQuote quote, QuoteCollateral? collateral, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(quote);
        var partial = new QuoteVerificationResult
        {
            TeeType = quote.TeeType,
            QuoteVersion = quote.Version,
            Enclave = quote.EnclaveReport,
            TdReport = quote.TdReport,
            EvaluatedAt = at,
            RevocationChecked = _options.CheckRevocation,
        };

        var run = new Run(quote, collateral, at.ToUniversalTime(), _options.CheckRevocation, _pinnedRoots);
        try
        {
            var outcome = run.Execute();
            return partial with
            {
                Status = outcome.Status,
                PlatformTcbStatus = outcome.PlatformStatus,
                QeTcbStatus = run.Qe?.LevelStatus,
                AdvisoryIds = [.. outcome.AdvisoryIds],
                Fmspc = run.Fmspc,
            };
        }
        catch (AttestationException ex)
        {
            return partial with { Failure = ex.Reason, FailureMessage = ex.Message, Fmspc = run.Fmspc };
        }
#pragma warning disable CA1031 // the verifier's contract: no exception escapes, and nothing unexpected passes
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return partial with { Failure = VerificationFailureReason.InternalError, FailureMessage = $"unexpected {ex.GetType().Name}: {ex.Message}" };
        }
        finally
        {
            run.Dispose();
        }
    }

    /// <summary>One verification: holds the decoded certificates so they can be disposed together.</summary>
    private sealed class Run(DcapQuote quote, QuoteCollateral? collateral, DateTimeOffset at, bool checkRevocation, byte[][] pinnedRoots) : IDisposable
    {
        private readonly List<ParsedCertificate> _owned = [];

        public string? Fmspc { get; private set; }

        public QeOutcome? Qe { get; private set; }

        public TcbOutcome Execute()
        {
            if (quote.CertificationDataType != DcapQuote.CertificationDataPckChain)
            {
                throw new AttestationException(VerificationFailureReason.UnsupportedCertificationDataType,
                    $"certification data type {quote.CertificationDataType} is not supported: only a PCK certificate chain (type 5) can be verified offline");
            }

            if (collateral is null)
            {
                throw new AttestationException(VerificationFailureReason.CollateralMissing, "no collateral (TCB info, QE identity, CRLs) was supplied");
            }

            // 1. Decode everything, so malformed input fails as such before any judgement.
            var pckChain = Own(PemCertificates.Parse(quote.CertificationData.AsSpan(), "PCK certificate chain"));
            var tcbChain = Own(PemCertificates.Parse(collateral.TcbInfoIssuerChain, "TCB info issuer chain"));
            var qeChain = Own(PemCertificates.Parse(collateral.QeIdentityIssuerChain, "QE identity issuer chain"));
            var tcbInfo = TcbInfo.Parse(collateral.TcbInfo);
            var qeIdentity = EnclaveIdentity.Parse(collateral.QeIdentity);
            var (rootCrl, pckCrl) = DecodeCrls();

            // 2. Freshness of the collateral at the instant.
            CheckWindow("TCB info", tcbInfo.IssueDate, tcbInfo.NextUpdate);
            CheckWindow("QE identity", qeIdentity.IssueDate, qeIdentity.NextUpdate);
            if (rootCrl is not null && pckCrl is not null)
            {
                CheckCrlWindow("root CA CRL", rootCrl);
                CheckCrlWindow("PCK CRL", pckCrl);
            }

            // 3. Chains to the pinned root, valid at the instant, not revoked.
            ValidateChains(pckChain, tcbChain, qeChain, rootCrl, pckCrl);

            // 4. Collateral signatures over the exact signed text.
            VerifyCollateralSignatures(tcbChain[0], qeChain[0]);

            // 5. The TCB info must describe this platform.
            var pck = SgxPckExtensions.Parse(pckChain[0]);
            Fmspc = Convert.ToHexString(pck.Fmspc.AsSpan());
            CheckTcbInfoApplies(tcbInfo, pck);
            if (quote.TeeType == TeeType.Tdx)
            {
                TcbEvaluator.CheckTdxModuleIdentity(tcbInfo, quote);
            }

            // 6. The QE report is signed by the PCK key and binds the attestation key.
            VerifyQeReport(pckChain[0]);

            // 7. The quoting enclave is Intel's, at a known TCB level.
            Qe = QeIdentityEvaluator.Evaluate(qeIdentity, quote);

            // 8. The quote (header ‖ body) is signed by the attestation key.
            VerifyQuoteSignature();

            // 9. TCB level.
            return TcbEvaluator.Evaluate(tcbInfo, pck, quote, Qe);
        }

        public void Dispose() => PemCertificates.DisposeAll(_owned);

        private void ValidateChains(List<ParsedCertificate> pckChain, List<ParsedCertificate> tcbChain, List<ParsedCertificate> qeChain, CrlDocument? rootCrl, CrlDocument? pckCrl)
        {
            CertificateChainValidator.Validate(pckChain, "PCK certificate chain", at, pinnedRoots);
            CertificateChainValidator.Validate(tcbChain, "TCB info issuer chain", at, pinnedRoots);
            CertificateChainValidator.Validate(qeChain, "QE identity issuer chain", at, pinnedRoots);
            RequireSubject(pckChain[0], "SGX PCK Certificate", "PCK certificate");
            RequireSubject(tcbChain[0], "Intel SGX TCB Signing", "TCB info signer");
            RequireSubject(qeChain[0], "Intel SGX TCB Signing", "QE identity signer");
            if (rootCrl is not null && pckCrl is not null)
            {
                CheckRevocation(pckChain, tcbChain, qeChain, rootCrl, pckCrl);
            }
        }

        private void VerifyCollateralSignatures(ParsedCertificate tcbSigner, ParsedCertificate qeSigner)
        {
            if (!VerifyCollateralSignature(tcbSigner, collateral!.TcbInfo, collateral.TcbInfoSignature.AsSpan()))
            {
                throw new AttestationException(VerificationFailureReason.TcbInfoSignatureInvalid, "TCB info signature does not verify with the TCB signing certificate");
            }

            if (!VerifyCollateralSignature(qeSigner, collateral.QeIdentity, collateral.QeIdentitySignature.AsSpan()))
            {
                throw new AttestationException(VerificationFailureReason.QeIdentitySignatureInvalid, "QE identity signature does not verify with its signing certificate");
            }
        }

        private void VerifyQeReport(ParsedCertificate pckCertificate)
        {
            using (var pckKey = pckCertificate.GetECDsaPublicKey())
            {
                if (pckKey is null || !EcdsaP256.VerifyRaw(pckKey, quote.QeReportRaw.AsSpan(), quote.QeReportSignature.AsSpan()))
                {
                    throw new AttestationException(VerificationFailureReason.QeReportSignatureInvalid, "QE report signature does not verify with the PCK certificate's key");
                }
            }

            var binding = SHA256.HashData([.. quote.AttestationKey, .. quote.QeAuthData]);
            if (!binding.AsSpan().SequenceEqual(quote.QeReport.ReportData.AsSpan(0, 32)))
            {
                throw new AttestationException(VerificationFailureReason.AttestationKeyBindingInvalid, "QE report data does not hold SHA-256(attestation key ‖ QE auth data)");
            }
        }

        private List<ParsedCertificate> Own(List<ParsedCertificate> certificates)
        {
            _owned.AddRange(certificates);
            return certificates;
        }

        private (CrlDocument? Root, CrlDocument? Pck) DecodeCrls()
        {
            if (!checkRevocation)
            {
                return (null, null);
            }

            if (collateral!.RootCaCrl is not { } rootDer)
            {
                throw new AttestationException(VerificationFailureReason.CrlMissing, "the root CA CRL is missing (revocation checking is on)");
            }

            if (collateral.PckCrl is not { } pckDer)
            {
                throw new AttestationException(VerificationFailureReason.CrlMissing, "the PCK CRL is missing (revocation checking is on)");
            }

            return (CrlDocument.Parse([.. rootDer], "root CA CRL"), CrlDocument.Parse([.. pckDer], "PCK CRL"));
        }

        private void CheckWindow(string what, DateTimeOffset issueDate, DateTimeOffset nextUpdate)
        {
            if (at < issueDate)
            {
                throw new AttestationException(VerificationFailureReason.CollateralNotYetValid, $"{what} is issued {issueDate:O}, after the evaluation instant {at:O}");
            }

            if (at >= nextUpdate)
            {
                throw new AttestationException(VerificationFailureReason.CollateralExpired, $"{what} expired at its nextUpdate {nextUpdate:O} (evaluation instant {at:O})");
            }
        }

        private void CheckCrlWindow(string what, CrlDocument crl)
        {
            if (at < crl.ThisUpdate)
            {
                throw new AttestationException(VerificationFailureReason.CrlNotYetValid, $"{what} thisUpdate {crl.ThisUpdate:O} is after the evaluation instant {at:O}");
            }

            if (crl.NextUpdate is not { } next || at >= next)
            {
                throw new AttestationException(VerificationFailureReason.CrlExpired, $"{what} expired at its nextUpdate {crl.NextUpdate:O} (evaluation instant {at:O})");
            }
        }

        private static void CheckRevocation(List<ParsedCertificate> pckChain, List<ParsedCertificate> tcbChain, List<ParsedCertificate> qeChain, CrlDocument rootCrl, CrlDocument pckCrl)
        {
            var root = pckChain[^1];
            if (!rootCrl.IssuerRaw.AsSpan().SequenceEqual(root.SubjectRaw) || !rootCrl.IsSignedBy(root))
            {
                throw new AttestationException(VerificationFailureReason.CrlInvalid, $"root CA CRL is not issued and signed by the chain's root '{root.Subject}'");
            }

            var pckLeaf = pckChain[0];
            var pckCa = pckChain[1];
            if (!pckCrl.IssuerRaw.AsSpan().SequenceEqual(pckLeaf.IssuerRaw))
            {
                throw new AttestationException(VerificationFailureReason.CrlInvalid, $"PCK CRL is not issued by the PCK certificate's issuer '{pckCa.Subject}'");
            }

            if (!pckCrl.IsSignedBy(pckCa))
            {
                throw new AttestationException(VerificationFailureReason.CrlInvalid, $"PCK CRL signature does not verify with the key of '{pckCa.Subject}'");
            }

            if (pckCrl.IsRevoked(pckLeaf))
            {
                throw new AttestationException(VerificationFailureReason.CertificateRevoked, "the PCK certificate is revoked by the PCK CRL");
            }

            // Intermediates (PCK CA, TCB signing) are revoked through the root CA CRL.
            foreach (var certificate in pckChain.Skip(1).Concat(tcbChain).Concat(qeChain))
            {
                if (certificate.IssuerRaw.AsSpan().SequenceEqual(root.SubjectRaw) && rootCrl.IsRevoked(certificate))
                {
                    throw new AttestationException(VerificationFailureReason.CertificateRevoked, $"'{certificate.Subject}' is revoked by the root CA CRL");
                }
            }
        }

        // Intel QVL 4.1.2.4.4: a chain to Intel's root is not enough, the leaf must be of the right kind
        // (a PCK certificate cannot sign TCB info, and a TCB signing certificate is not a PCK).
        private static void RequireSubject(ParsedCertificate certificate, string commonNamePart, string role)
        {
            if (!certificate.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false).Contains(commonNamePart, StringComparison.Ordinal))
            {
                throw new AttestationException(VerificationFailureReason.CertificateChainInvalid, $"the {role} is '{certificate.Subject}', its CN must contain '{commonNamePart}'");
            }
        }

        private static bool VerifyCollateralSignature(ParsedCertificate signer, string signedText, ReadOnlySpan<byte> signature)
        {
            using var key = signer.GetECDsaPublicKey();
            return key is not null && EcdsaP256.VerifyRaw(key, System.Text.Encoding.UTF8.GetBytes(signedText), signature);
        }

        private void CheckTcbInfoApplies(TcbInfo tcbInfo, SgxPckExtensions pck)
        {
            if (quote.TeeType == TeeType.Tdx && !tcbInfo.IsTdx)
            {
                throw new AttestationException(VerificationFailureReason.TcbInfoMismatch, $"a TDX quote needs TDX TCB info (version 3, id TDX), got version {tcbInfo.Version} id {tcbInfo.Id}");
            }

            if (quote.TeeType == TeeType.Sgx && tcbInfo.Id != "SGX")
            {
                throw new AttestationException(VerificationFailureReason.TcbInfoMismatch, $"an SGX quote needs SGX TCB info, got id {tcbInfo.Id}");
            }

            if (!pck.Fmspc.AsSpan().SequenceEqual(tcbInfo.Fmspc))
            {
                throw new AttestationException(VerificationFailureReason.FmspcMismatch, $"TCB info is for FMSPC {Convert.ToHexString(tcbInfo.Fmspc)}, the PCK certificate has {Convert.ToHexString(pck.Fmspc.AsSpan())}");
            }

            if (!pck.PceId.AsSpan().SequenceEqual(tcbInfo.PceId))
            {
                throw new AttestationException(VerificationFailureReason.TcbInfoMismatch, $"TCB info is for PCEID {Convert.ToHexString(tcbInfo.PceId)}, the PCK certificate has {Convert.ToHexString(pck.PceId.AsSpan())}");
            }
        }

        private void VerifyQuoteSignature()
        {
            ECDsa attestationKey;
            try
            {
                attestationKey = EcdsaP256.ImportRawPublicKey(quote.AttestationKey.AsSpan());
            }
            catch (CryptographicException ex)
            {
                throw new AttestationException(VerificationFailureReason.AttestationKeyInvalid, "attestation key is not a valid P-256 point: " + ex.Message, ex);
            }

            using (attestationKey)
            {
                if (!EcdsaP256.VerifyRaw(attestationKey, quote.SignedData.AsSpan(), quote.QuoteSignature.AsSpan()))
                {
                    throw new AttestationException(VerificationFailureReason.QuoteSignatureInvalid, "quote signature does not verify with the attestation key over header ‖ body");
                }
            }
        }
    }
}
