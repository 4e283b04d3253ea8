using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Attestation.Pki;

/// <summary>
/// Validates a leaf-first chain against the pinned root: the last certificate must be the pin,
/// each certificate must name and be signed by the next, issuers must be CAs, and every
/// certificate must be valid at the instant (notBefore ≤ t ≤ notAfter).
/// </summary>
internal static class CertificateChainValidator
{
    public static void Validate(IReadOnlyList<ParsedCertificate> chain, string name, DateTimeOffset at, IReadOnlyList<byte[]> pinnedRootsSha256)
    {
        if (chain.Count < 2)
        {
            throw new AttestationException(VerificationFailureReason.CertificateChainInvalid, $"{name} has {chain.Count} certificate(s); a leaf and the root are needed at least");
        }

        var root = chain[^1];
        var rootHash = root.Sha256;
        if (!pinnedRootsSha256.Any(pin => rootHash.AsSpan().SequenceEqual(pin)))
        {
            var trusted = pinnedRootsSha256.Count > 1 ? "neither the pinned Intel SGX Root CA nor a configured test root" : "not the pinned Intel SGX Root CA";
            throw new AttestationException(VerificationFailureReason.UntrustedRoot,
                $"{name} ends in '{root.Subject}' (SHA-256 {Convert.ToHexStringLower(rootHash)}), {trusted}");
        }

        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            var issuer = chain[Math.Min(i + 1, chain.Count - 1)];
            if (!certificate.IssuerRaw.AsSpan().SequenceEqual(issuer.SubjectRaw))
            {
                throw new AttestationException(VerificationFailureReason.CertificateChainInvalid, $"{name}: '{certificate.Subject}' is not issued by '{issuer.Subject}'");
            }

            if (!certificate.IsSignedBy(issuer))
            {
                throw new AttestationException(VerificationFailureReason.CertificateChainInvalid, $"{name}: the signature of '{certificate.Subject}' does not verify with the key of '{issuer.Subject}'");
            }

            if (i > 0 && !IsCertificateAuthority(certificate))
            {
                throw new AttestationException(VerificationFailureReason.CertificateChainInvalid, $"{name}: '{certificate.Subject}' issues certificates but is not a CA");
            }
        }

        foreach (var certificate in chain)
        {
            if (at < certificate.NotBefore)
            {
                throw new AttestationException(VerificationFailureReason.CertificateNotYetValid, $"{name}: '{certificate.Subject}' is not valid before {certificate.NotBefore:O}");
            }

            if (at > certificate.NotAfter)
            {
                throw new AttestationException(VerificationFailureReason.CertificateExpired, $"{name}: '{certificate.Subject}' expired at {certificate.NotAfter:O}");
            }
        }
    }

    private static bool IsCertificateAuthority(ParsedCertificate certificate) =>
        certificate.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
}
