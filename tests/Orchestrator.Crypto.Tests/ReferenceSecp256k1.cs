using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;

using Orchestrator.Domain.Crypto;

namespace Orchestrator.Crypto.Tests;

/// <summary>
/// The original BouncyCastle-based secp256k1 (kept verbatim as the reference for differential tests).
/// secp256k1 as Ethereum uses it: deterministic RFC 6979 signatures normalised to low s, with a
/// recovery id, and public-key recovery from (hash, signature).
/// </summary>
internal static class ReferenceSecp256k1
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);
    private static readonly BigInteger HalfN = Curve.N.ShiftRight(1);

    /// <summary>The curve order n.</summary>
    public static BigInteger N => Curve.N;

    /// <summary>Signs a 32-byte hash with a 32-byte private key.</summary>
    public static Signature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        if (hash32.Length != 32)
        {
            throw new ArgumentException("secp256k1 signs a 32-byte hash", nameof(hash32));
        }

        var d = new BigInteger(1, privateKey);
        if (d.SignValue <= 0 || d.CompareTo(Curve.N) >= 0)
        {
            throw new ArgumentException("the private key is out of range", nameof(privateKey));
        }

        // RFC 6979 nonce; the recovery id comes from R's y parity, so no trial recovery is needed.
        var e = new BigInteger(1, hash32);
        var kCalculator = new HMacDsaKCalculator(new Sha256Digest());
        kCalculator.Init(Curve.N, d, hash32.ToArray());
        while (true)
        {
            var k = kCalculator.NextK();
            var rPoint = new FixedPointCombMultiplier().Multiply(Curve.G, k).Normalize();
            var r = rPoint.AffineXCoord.ToBigInteger().Mod(Curve.N);
            if (r.SignValue == 0)
            {
                continue;
            }

            var s = k.ModInverse(Curve.N).Multiply(e.Add(d.Multiply(r))).Mod(Curve.N);
            if (s.SignValue == 0)
            {
                continue;
            }

            var recoveryId = (byte)(rPoint.AffineYCoord.TestBitZero() ? 1 : 0);
            if (s.CompareTo(HalfN) > 0)
            {
                s = Curve.N.Subtract(s);
                recoveryId ^= 1;
            }

            return new Signature(To32(r), To32(s), recoveryId);
        }
    }

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
    public static bool TryRecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature, out byte[] publicKey)
    {
        publicKey = [];
        if (hash32.Length != 32 || signature.RecoveryId > 1)
        {
            return false;
        }

        var r = new BigInteger(1, signature.R);
        var s = new BigInteger(1, signature.S);
        if (r.SignValue <= 0 || r.CompareTo(Curve.N) >= 0 || s.SignValue <= 0 || s.CompareTo(Curve.N) >= 0)
        {
            return false;
        }

        var point = RecoverPoint(hash32.ToArray(), r, s, signature.RecoveryId);
        if (point is null)
        {
            return false;
        }

        publicKey = point.GetEncoded(false)[1..];
        return true;
    }

    /// <summary>The uncompressed public key (64 bytes X ‖ Y) of a private key.</summary>
    public static byte[] PublicKeyBytes(ReadOnlySpan<byte> privateKey)
    {
        var d = new BigInteger(1, privateKey);
        if (d.SignValue <= 0 || d.CompareTo(Curve.N) >= 0)
        {
            throw new ArgumentException("the private key is out of range", nameof(privateKey));
        }

        var q = new FixedPointCombMultiplier().Multiply(Curve.G, d).Normalize();
        return q.GetEncoded(false)[1..];
    }

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

    private static ECPoint? RecoverPoint(byte[] hash, BigInteger r, BigInteger s, int recoveryId)
    {
        // SEC 1 v2, section 4.1.6, for the two candidates whose x is r (x = r + n never fits secp256k1's p in practice).
        var x = r;
        var prime = Curve.Curve.Field.Characteristic;
        if (x.CompareTo(prime) >= 0)
        {
            return null;
        }

        ECPoint rPoint;
        try
        {
            var encoded = new byte[33];
            encoded[0] = (byte)(recoveryId == 1 ? 0x03 : 0x02);
            To32(x).CopyTo(encoded, 1);
            rPoint = Curve.Curve.DecodePoint(encoded);
        }
        catch (ArgumentException)
        {
            return null;
        }

        // secp256k1 has cofactor 1: every point on the curve is in the group, so no n·R check is needed.
        var e = new BigInteger(1, hash);
        var rInv = r.ModInverse(Curve.N);
        var eNeg = BigInteger.Zero.Subtract(e).Mod(Curve.N);
        var u1 = eNeg.Multiply(rInv).Mod(Curve.N);
        var u2 = s.Multiply(rInv).Mod(Curve.N);
        var q = ECAlgorithms.SumOfTwoMultiplies(Curve.G, u1, rPoint, u2).Normalize();
        return q.IsInfinity ? null : q;
    }

    private static byte[] To32(BigInteger value)
    {
        var bytes = value.ToByteArrayUnsigned();
        if (bytes.Length == 32)
        {
            return bytes;
        }

        var padded = new byte[32];
        bytes.CopyTo(padded, 32 - bytes.Length);
        return padded;
    }
}
