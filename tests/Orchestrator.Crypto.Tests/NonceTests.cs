using System.Numerics;
using Orchestrator.Domain.Crypto.Secp256k1Fast;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using BcBig = Org.BouncyCastle.Math.BigInteger;

namespace Orchestrator.Crypto.Tests;

/// <summary>The in-house RFC 6979 generator against BouncyCastle's HMacDsaKCalculator, over several successive nonces.</summary>
public sealed class NonceTests
{
    [Fact]
    public void Nonces_match_bouncycastle_including_successive_calls()
    {
        var rng = new Random(6979);
        var keys = Enumerable.Range(0, 500).Select(_ => Big.RandomBelow(rng, Big.N - 1) + 1).Concat([1, Big.N - 1]).ToList();
        Span<byte> k = stackalloc byte[32];
        Span<byte> v = stackalloc byte[32];
        foreach (var d in keys)
        {
            var hash = new byte[32];
            rng.NextBytes(hash);
            if (d == 1)
            {
                Array.Fill(hash, (byte)0xFF); // ≥ n: bits2octets reduces it
            }

            var bc = new HMacDsaKCalculator(new Sha256Digest());
            bc.Init(new BcBig(1, Big.To32(Big.N)), new BcBig(1, Big.To32(d)), hash);
            var ours = new Rfc6979(k, v, Big.To32(d), hash);
            for (var i = 0; i < 3; i++)
            {
                var expected = new BigInteger(bc.NextK().ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);
                Assert.Equal(expected, Big.Of(ours.NextK()));
            }
        }
    }
}
