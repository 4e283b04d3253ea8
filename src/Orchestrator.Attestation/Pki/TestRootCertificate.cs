using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Attestation.Pki;

/// <summary>
/// A root CA that is not Intel's, trusted by a verifier only when its configuration explicitly allows
/// test roots: it lets a test TEE (quotes and collateral made under its own CA) run every check of the
/// DCAP verifier. Reads the PEM file and gives the SHA-256 the verifier pins.
/// </summary>
public static class TestRootCertificate
{
    /// <summary>
    /// Reads one self-signed CA certificate from a PEM file and returns the SHA-256 (lower-case hex) of its DER.
    /// Throws <see cref="FormatException"/> naming the file when it is not exactly that; I/O errors pass through.
    /// </summary>
    public static string Sha256HexFromPemFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Sha256HexFromPem(File.ReadAllText(path), path);
    }

    /// <summary>As <see cref="Sha256HexFromPemFile"/>, from PEM text; <paramref name="source"/> names it in errors.</summary>
    public static string Sha256HexFromPem(string pem, string source)
    {
        ArgumentNullException.ThrowIfNull(pem);
        List<ParsedCertificate> certificates;
        try
        {
            certificates = PemCertificates.Parse(pem, "test root " + source);
        }
        catch (AttestationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        try
        {
            if (certificates.Count != 1)
            {
                throw new FormatException($"test root {source} holds {certificates.Count} certificates; it must hold exactly the root CA");
            }

            var root = certificates[0];
            var isCa = root.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
            if (!isCa || !root.IssuerRaw.AsSpan().SequenceEqual(root.SubjectRaw) || !root.IsSignedBy(root))
            {
                throw new FormatException($"test root {source} ('{root.Subject}') is not a self-signed CA certificate");
            }

            return Convert.ToHexStringLower(SHA256.HashData(root.Der));
        }
        finally
        {
            PemCertificates.DisposeAll(certificates);
        }
    }
}
