using System.Security.Cryptography;

namespace Orchestrator.Attestation.Pki;

/// <summary>ECDSA P-256 / SHA-256 signature checks over the encodings DCAP uses.</summary>
internal static class EcdsaP256
{
    /// <summary>Imports a raw uncompressed public key (x‖y, 64 bytes); throws <see cref="CryptographicException"/> for a point off the curve.</summary>
    public static ECDsa ImportRawPublicKey(ReadOnlySpan<byte> xy)
    {
        if (xy.Length != 64)
        {
            throw new CryptographicException($"a raw P-256 public key is 64 bytes, got {xy.Length}");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportParameters(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = xy[..32].ToArray(), Y = xy[32..].ToArray() },
            });
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Verifies a raw r‖s (64-byte) signature; a wrong-length signature is simply invalid.</summary>
    public static bool VerifyRaw(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Verifies a DER (RFC 3279) ECDSA signature as found in certificates and CRLs.</summary>
    public static bool VerifyDer(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
