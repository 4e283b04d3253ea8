using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Math;

namespace Orchestrator.Domain.Crypto;

/// <summary>
/// secp256k1 as Ethereum uses it: deterministic RFC 6979 signatures normalised to low s, with a
/// recovery id, and public-key recovery from (hash, signature).
/// <para>
/// The elliptic-curve work runs on the in-house arithmetic in <c>Crypto/Secp256k1Fast</c> (several times cheaper
/// than BouncyCastle's; bench/Orchestrator.CryptoBench measures both). Signing and key derivation do not branch on
/// or index by the key or nonce; recovery handles public data only. tests/Orchestrator.Crypto.Tests checks every
/// operation case by case against the original BouncyCastle implementation.
/// </para>
/// </summary>
public static class Secp256k1
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly BigInteger HalfN = Curve.N.ShiftRight(1);

    /// <summary>The curve order n.</summary>
    public static BigInteger N => Curve.N;

    /// <summary>Signs a 32-byte hash with a 32-byte private key.</summary>
    /// <remarks>RFC 6979 nonce (HMAC-SHA256), low s, recovery id from R's y parity, flipped when s is negated.</remarks>
    public static Signature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey) =>
        Secp256k1Fast.FastSecp256k1.Sign(hash32, privateKey);

    /// <summary>Recovers the signer's address; false when the signature is invalid.</summary>
    public static bool TryRecoverAddress(ReadOnlySpan<byte> hash32, Signature signature, out Address address)
    {
        address = default;
        if (!TryRecoverPublicKey(hash32, signature, out var publicKey))
        {
            return false;
        }

        address = Address.FromPublicKey(publicKey);
        return true;
    }

    /// <summary>Recovers the uncompressed public key (64 bytes X ‖ Y); false when the signature is invalid.</summary>
    public static bool TryRecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature, out byte[] publicKey) =>
        Secp256k1Fast.FastSecp256k1.TryRecoverPublicKey(hash32, signature, out publicKey);

    /// <summary>The uncompressed public key (64 bytes X ‖ Y) of a private key.</summary>
    public static byte[] PublicKeyBytes(ReadOnlySpan<byte> privateKey) =>
        Secp256k1Fast.FastSecp256k1.PublicKeyBytes(privateKey);

    /// <summary>The address of a private key.</summary>
    public static Address AddressOf(ReadOnlySpan<byte> privateKey) => Address.FromPublicKey(PublicKeyBytes(privateKey));

    /// <summary>A fresh random private key.</summary>
    public static byte[] NewPrivateKey()
    {
        Span<byte> key = stackalloc byte[32];
        while (true)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(key);
            var d = new BigInteger(1, key);
            if (d.SignValue > 0 && d.CompareTo(Curve.N) < 0)
            {
                return key.ToArray();
            }
        }
    }

    /// <summary>True when s is in the lower half of the order (Ethereum's malleability rule, EIP-2).</summary>
    public static bool IsLowS(ReadOnlySpan<byte> s) => new BigInteger(1, s).CompareTo(HalfN) <= 0;
}
