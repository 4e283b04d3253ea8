namespace Orchestrator.Attestation.Verification;

/// <summary>Knobs of a DCAP verification. The defaults are the strict, production setting.</summary>
public sealed record QuoteVerificationOptions
{
    /// <summary>The strict defaults: revocation checked, trailing bytes tolerated, Intel's root pinned.</summary>
    public static QuoteVerificationOptions Default { get; } = new();

    /// <summary>
    /// Check the root CA CRL and the PCK CRL (default true). When true, missing CRLs are a
    /// <see cref="VerificationFailureReason.CrlMissing"/> failure. When false, CRLs are ignored
    /// even if present — use only for air-gapped audits of collateral that ships without CRLs.
    /// </summary>
    public bool CheckRevocation { get; init; } = true;

    /// <summary>
    /// Reject bytes after the declared end of the quote (default false: Intel QVL ignores them and
    /// real quotes carry zero padding; the signatures never cover them).
    /// </summary>
    public bool RejectTrailingData { get; init; }

    /// <summary>SHA-256 (hex) of the only trusted root certificate; Intel SGX Root CA by default. Tests may pin their own.</summary>
    public string TrustedRootSha256Hex { get; init; } = Pki.IntelRootCa.Sha256Hex;
}
