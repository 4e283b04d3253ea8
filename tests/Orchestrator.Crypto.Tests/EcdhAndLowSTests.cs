using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.EC;
using Orchestrator.Domain.Crypto;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Orchestrator.Crypto.Tests;

/// <summary>
/// The ECDH step of ECIES (libsecp256k1 with the bare x as output) and the EIP-2 low-s rule, each against BouncyCastle,
/// which computed both before: data sealed by an older build must still open.
/// </summary>
public sealed class EcdhAndLowSTests
{
    private static readonly Org.BouncyCastle.Asn1.X9.X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");

    private static byte[] ReferenceSharedX(byte[] privateKey, byte[] publicKey) =>
        Curve.Curve.DecodePoint(publicKey).Multiply(new BcBigInteger(1, privateKey)).Normalize().AffineXCoord.GetEncoded();

    [Fact]
    public void Shared_x_matches_bouncy_castle_for_random_keys_in_every_encoding()
    {
        var rng = new Random(4242);
        for (var i = 0; i < 300; i++)
        {
            var mine = Big.To32(Big.RandomBelow(rng, Big.N - 1) + 1);
            var theirs = Big.To32(Big.RandomBelow(rng, Big.N - 1) + 1);
            var theirPublic = ReferenceSecp256k1.PublicKeyBytes(theirs);
            byte[] uncompressed = [0x04, .. theirPublic];
            byte[] compressed = [(byte)(2 + (theirPublic[63] & 1)), .. theirPublic[..32]];
            var expected = Convert.ToHexString(ReferenceSharedX(mine, uncompressed));

            Assert.Equal(expected, Convert.ToHexString(Secp256k1.SharedX(mine, uncompressed)));
            Assert.Equal(expected, Convert.ToHexString(Secp256k1.SharedX(mine, compressed)));

            // Both sides agree on the secret, as ECIES needs.
            byte[] minePublic = [0x04, .. Secp256k1.PublicKeyBytes(mine)];
            Assert.Equal(expected, Convert.ToHexString(Secp256k1.SharedX(theirs, minePublic)));
        }
    }

    [Fact]
    public void Shared_x_of_edge_scalars_matches_and_out_of_range_scalars_are_refused()
    {
        byte[] point = [0x04, .. ReferenceSecp256k1.PublicKeyBytes(Big.To32(987654321))];
        foreach (var k in new[] { BigInteger.One, 2, Big.N - 1, Big.N / 2, BigInteger.Pow(2, 255) })
        {
            var key = Big.To32(k);
            Assert.Equal(Convert.ToHexString(ReferenceSharedX(key, point)), Convert.ToHexString(Secp256k1.SharedX(key, point)));
        }

        // Leading zero bytes and short encodings are the same integer.
        Assert.Equal(Convert.ToHexString(Secp256k1.SharedX(Big.To32(5), point)), Convert.ToHexString(Secp256k1.SharedX([0, 0, 5], point)));

        foreach (var bad in new[] { Big.To32(0), Big.To32(Big.N), Big.To32(Big.Two256 - 1), [1, .. new byte[32]] })
        {
            var error = Assert.Throws<CryptographicException>(() => Secp256k1.SharedX(bad, point));
            Assert.Equal("the private key is not a secp256k1 scalar", error.Message);
        }
    }

    [Fact]
    public void A_public_key_off_the_curve_is_refused_by_both()
    {
        // x = 1 with any y: 1 + 7 = 8 is a square mod p only for y = ±√8; pick a y that is not.
        byte[] offCurve = [0x04, .. Big.To32(1), .. Big.To32(2)];
        Assert.ThrowsAny<ArgumentException>(() => Curve.Curve.DecodePoint(offCurve));
        var error = Assert.Throws<CryptographicException>(() => Secp256k1.SharedX(Big.To32(7), offCurve));
        Assert.Equal("the public key is not a point of secp256k1", error.Message);
    }

    [Fact]
    public void What_an_older_build_sealed_still_opens()
    {
        // Seal as the BouncyCastle-based ECIES did (same layout and KDF), open with today's.
        var rng = new Random(7);
        var recipient = Big.To32(Big.RandomBelow(rng, Big.N - 1) + 1);
        var ephemeral = Big.To32(Big.RandomBelow(rng, Big.N - 1) + 1);
        var ephemeralPublic = ReferenceSecp256k1.PublicKeyBytes(ephemeral);
        var context = "task-context"u8.ToArray();
        var sharedX = ReferenceSharedX(ephemeral, [0x04, .. ReferenceSecp256k1.PublicKeyBytes(recipient)]);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedX, 32, ephemeralPublic, [.. "orchestrator-ecies-v1"u8, .. context]);
        var plaintext = "sealed by BouncyCastle"u8.ToArray();
        var sealedData = new byte[Ecies.Overhead + plaintext.Length];
        sealedData[0] = Ecies.Version;
        ephemeralPublic.CopyTo(sealedData, 1);
        using (var gcm = new AesGcm(key, 16))
        {
            gcm.Encrypt(sealedData.AsSpan(65, 12), plaintext, sealedData.AsSpan(Ecies.Overhead), sealedData.AsSpan(77, 16), ephemeralPublic);
        }

        Assert.Equal(plaintext, Ecies.Decrypt(recipient, sealedData, context));
    }

    [Fact]
    public void Low_s_rule_matches_bouncy_castle_at_the_boundary_and_at_random()
    {
        var half = Big.N / 2;
        var values = new List<BigInteger> { 0, 1, half - 1, half, half + 1, Big.N - 1, Big.N, Big.Two256 - 1 };
        var rng = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            values.Add(Big.RandomBelow(rng, Big.N));
        }

        foreach (var v in values)
        {
            var bytes = Big.To32(v);
            Assert.Equal(v <= half, Secp256k1.IsLowS(bytes));
            Assert.Equal(ReferenceSecp256k1.IsLowS(bytes), Secp256k1.IsLowS(bytes));
        }

        // Longer and shorter encodings of the same integer.
        Assert.True(Secp256k1.IsLowS([0, .. Big.To32(half)]));
        Assert.True(Secp256k1.IsLowS([5]));
        Assert.False(Secp256k1.IsLowS([1, .. new byte[32]]));
    }
}
