namespace Orchestrator.Attestation;

/// <summary>
/// Why a piece of evidence did not verify. Each malformed or untrustworthy input maps to exactly
/// one reason; the accompanying message says which field or certificate was at fault.
/// </summary>
public enum VerificationFailureReason
{
    /// <summary>The quote ends before a field its header or lengths announce.</summary>
    TruncatedQuote,

    /// <summary>The quote version is not 3, 4 or 5.</summary>
    UnsupportedVersion,

    /// <summary>The attestation key is not ECDSA P-256 (type 2).</summary>
    UnsupportedAttestationKeyType,

    /// <summary>The TEE type is neither SGX nor TDX, or does not fit the quote version.</summary>
    UnsupportedTeeType,

    /// <summary>The v5 body descriptor names an unknown body type or a wrong body size.</summary>
    UnsupportedBodyType,

    /// <summary>The certification data is not a PCK certificate chain (type 5), e.g. an encrypted PPID (type 3).</summary>
    UnsupportedCertificationDataType,

    /// <summary>Bytes follow the quote and the caller asked for strict length checking.</summary>
    TrailingData,

    /// <summary>The quote's internal lengths are inconsistent, or a field cannot be decoded.</summary>
    MalformedQuote,

    /// <summary>No collateral was supplied for a quote.</summary>
    CollateralMissing,

    /// <summary>Collateral cannot be decoded (JSON, PEM, CRL, hex, signature length...).</summary>
    MalformedCollateral,

    /// <summary>A certificate cannot be decoded.</summary>
    MalformedCertificate,

    /// <summary>A certificate chain is incomplete, mis-ordered, or a certificate signature does not verify.</summary>
    CertificateChainInvalid,

    /// <summary>A certificate chain does not end in the pinned Intel SGX Root CA.</summary>
    UntrustedRoot,

    /// <summary>A certificate is past its notAfter at the evaluation instant.</summary>
    CertificateExpired,

    /// <summary>A certificate is before its notBefore at the evaluation instant.</summary>
    CertificateNotYetValid,

    /// <summary>A certificate is listed in a CRL.</summary>
    CertificateRevoked,

    /// <summary>Revocation checking is on and the root CA CRL or the PCK CRL is absent.</summary>
    CrlMissing,

    /// <summary>A CRL is past its nextUpdate at the evaluation instant.</summary>
    CrlExpired,

    /// <summary>A CRL's thisUpdate is after the evaluation instant.</summary>
    CrlNotYetValid,

    /// <summary>A CRL was not issued by the expected CA or its signature does not verify.</summary>
    CrlInvalid,

    /// <summary>The TCB info signature does not verify over the exact signed text.</summary>
    TcbInfoSignatureInvalid,

    /// <summary>The QE identity signature does not verify over the exact signed text.</summary>
    QeIdentitySignatureInvalid,

    /// <summary>The TCB info or the QE identity is past its nextUpdate at the evaluation instant.</summary>
    CollateralExpired,

    /// <summary>The TCB info or the QE identity was issued after the evaluation instant.</summary>
    CollateralNotYetValid,

    /// <summary>The TCB info is for another TEE, or another PCE id.</summary>
    TcbInfoMismatch,

    /// <summary>The TCB info's FMSPC differs from the PCK certificate's.</summary>
    FmspcMismatch,

    /// <summary>The PCK certificate lacks or has malformed Intel SGX extensions.</summary>
    PckExtensionsInvalid,

    /// <summary>The QE report signature does not verify with the PCK certificate's key.</summary>
    QeReportSignatureInvalid,

    /// <summary>The QE report data does not bind SHA-256(attestation key ‖ QE auth data).</summary>
    AttestationKeyBindingInvalid,

    /// <summary>The attestation public key is not a valid P-256 point.</summary>
    AttestationKeyInvalid,

    /// <summary>The quote signature does not verify with the attestation key over header ‖ body.</summary>
    QuoteSignatureInvalid,

    /// <summary>The quoting enclave does not match the QE identity (MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES, or identity id).</summary>
    QeIdentityMismatch,

    /// <summary>The TDX module (MRSIGNERSEAM, SEAMATTRIBUTES, or module identity) does not match the TCB info.</summary>
    TdxModuleMismatch,

    /// <summary>No TCB level (platform, TDX module or QE) matches: Intel's STATUS_TCB_NOT_SUPPORTED.</summary>
    NoMatchingTcbLevel,

    /// <summary>Simulated evidence is malformed or its signature does not verify.</summary>
    SimulatedEvidenceInvalid,

    /// <summary>The evidence format is not recognised (neither a DCAP quote nor simulated evidence).</summary>
    UnknownEvidenceFormat,

    /// <summary>An unexpected internal error; evidence is never accepted in this case.</summary>
    InternalError,
}
