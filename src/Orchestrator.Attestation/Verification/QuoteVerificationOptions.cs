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

    /// <summary>SHA-256 (hex) of the trusted production root certificate; Intel SGX Root CA by default.</summary>
    public string TrustedRootSha256Hex { get; init; } = Pki.IntelRootCa.Sha256Hex;

    /// <summary>
    /// SHA-256 (hex) of test root CAs also trusted (see <see cref="Pki.TestRootCertificate"/>): empty by default.
    /// A chain ending in one of them verifies exactly as an Intel-rooted chain does, so a test TEE exercises
    /// the whole verifier; only a configuration that explicitly allows test roots may set this.
    /// </summary>
    public IReadOnlyList<string> TestRootsSha256Hex { get; init; } = [];
}
