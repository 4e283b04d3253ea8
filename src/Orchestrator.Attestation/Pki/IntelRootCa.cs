namespace Orchestrator.Attestation.Pki;

/// <summary>The trust anchor of every DCAP chain.</summary>
public static class IntelRootCa
{
    /// <summary>
    /// SHA-256 of the DER of "CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US"
    /// (valid 2018-05-21 .. 2049-12-31). Chains are trusted only when they end in exactly this certificate.
    /// </summary>
    public const string Sha256Hex = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
}
