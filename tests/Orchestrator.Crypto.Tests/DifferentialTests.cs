using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Crypto.Tests;

/// <summary>Case-by-case comparison with the original BouncyCastle implementation (<see cref="ReferenceSecp256k1"/>).</summary>
public sealed class DifferentialTests
{
    private static readonly BigInteger N = Big.N;

    private static void AssertSameSignature(Signature expected, Signature actual)
    {
        Assert.Equal(Convert.ToHexString(expected.R), Convert.ToHexString(actual.R));
        Assert.Equal(Convert.ToHexString(expected.S), Convert.ToHexString(actual.S));
        Assert.Equal(expected.RecoveryId, actual.RecoveryId);
    }

    private static void AssertSameRecovery(byte[] hash, Signature sig)
    {
        var refOk = ReferenceSecp256k1.TryRecoverPublicKey(hash, sig, out var refKey);
        var ok = Secp256k1.TryRecoverPublicKey(hash, sig, out var key);
        Assert.Equal(refOk, ok);
        Assert.Equal(Convert.ToHexString(refKey), Convert.ToHexString(key));
    }

    [Fact]
    public void Random_keys_and_hashes_sign_recover_and_derive_identically()
    {
        var rng = new Random(2025);
        var count = 1500;
        for (var i = 0; i < count; i++)
        {
            var key = Big.To32(Big.RandomBelow(rng, N - 1) + 1);
            var hash = new byte[32];
            rng.NextBytes(hash);

            var expected = ReferenceSecp256k1.Sign(hash, key);
            var actual = Secp256k1.Sign(hash, key);
            AssertSameSignature(expected, actual);

            var refPub = ReferenceSecp256k1.PublicKeyBytes(key);
            Assert.Equal(Convert.ToHexString(refPub), Convert.ToHexString(Secp256k1.PublicKeyBytes(key)));

            Assert.True(Secp256k1.TryRecoverPublicKey(hash, actual, out var recovered));
            Assert.Equal(Convert.ToHexString(refPub), Convert.ToHexString(recovered));
            AssertSameRecovery(hash, actual);

            // The other recovery id gives a different (or no) key, the same way in both.
            AssertSameRecovery(hash, actual with { RecoveryId = (byte)(actual.RecoveryId ^ 1) });
        }
    }

    [Fact]
    public void Random_signatures_recover_or_fail_identically()
    {
        // Arbitrary (r, s, v): about half the r values are not the x of a curve point.
        var rng = new Random(98);
        var failures = 0;
        for (var i = 0; i < 2000; i++)
        {
            var hash = new byte[32];
            rng.NextBytes(hash);
            var r = new byte[32];
            var s = new byte[32];
            rng.NextBytes(r);
            rng.NextBytes(s);
            var sig = new Signature(r, s, (byte)(i & 1));
            failures += ReferenceSecp256k1.TryRecoverPublicKey(hash, sig, out _) ? 0 : 1;
            AssertSameRecovery(hash, sig);
        }

        Assert.InRange(failures, 700, 1300);
    }

    public static TheoryData<string> EdgeKeysAndHashes()
    {
        BigInteger[] keys = [1, 2, 3, N - 1, N - 2, N / 2, N / 2 + 1, BigInteger.Pow(2, 128), BigInteger.Pow(2, 255), Big.P - N];
        BigInteger[] hashes = [0, 1, Big.Two256 - 1, N, N - 1, N + 1, Big.P, Big.P - 1, BigInteger.Pow(2, 255)];
        var data = new TheoryData<string>();
        foreach (var k in keys)
        {
            foreach (var h in hashes)
            {
                data.Add(Convert.ToHexString(Big.To32(k)) + ":" + Convert.ToHexString(Big.To32(h)));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EdgeKeysAndHashes))]
    public void Edge_keys_and_hashes(string keyAndHash)
    {
        var parts = keyAndHash.Split(':');
        var key = Convert.FromHexString(parts[0]);
        var hash = Convert.FromHexString(parts[1]);
        var expected = ReferenceSecp256k1.Sign(hash, key);
        var actual = Secp256k1.Sign(hash, key);
        AssertSameSignature(expected, actual);
        Assert.Equal(Convert.ToHexString(ReferenceSecp256k1.PublicKeyBytes(key)), Convert.ToHexString(Secp256k1.PublicKeyBytes(key)));
        AssertSameRecovery(hash, actual);
        AssertSameRecovery(hash, actual with { RecoveryId = (byte)(actual.RecoveryId ^ 1) });
    }

    [Fact]
    public void Invalid_signatures_fail_the_same_way()
    {
        var rng = new Random(1);
        var hash = new byte[32];
        rng.NextBytes(hash);
        var good = ReferenceSecp256k1.Sign(hash, Big.To32(12345));

        // An r that is not the x of any point: x³ + 7 a non-residue.
        var badX = Enumerable.Range(1, 100).Select(i => new BigInteger(i))
            .First(x => !BigInteger.ModPow(Big.Mod((x * x * x) + 7, Big.P), (Big.P - 1) / 2, Big.P).IsOne);

        BigInteger[] badScalars = [0, N, N + 1, Big.Two256 - 1, Big.P];
        var cases = new List<(byte[] Hash, Signature Sig, bool? ExpectOk)>(); // null: whatever the reference says
        foreach (var v in badScalars)
        {
            cases.Add((hash, good with { R = Big.To32(v) }, false));
            cases.Add((hash, good with { S = Big.To32(v) }, false));
        }

        cases.Add((hash, good with { R = Big.To32(badX) }, false));
        cases.Add((hash, good with { RecoveryId = 2 }, false));
        cases.Add((hash, good with { RecoveryId = 27 }, false));
        cases.Add((hash[..31], good, false));
        cases.Add(([.. hash, 0], good, false));
        cases.Add((hash, good with { R = [1, .. good.R] }, false));           // 33 bytes, ≥ 2^256
        cases.Add((hash, good with { R = [0, 0, .. good.R], S = [0, .. good.S] }, true)); // leading zeros are fine
        cases.Add((hash, good with { R = [] }, false));
        cases.Add((hash, good with { R = [7], S = [9] }, null));              // short encodings of small values
        cases.Add((hash, good with { R = Big.To32(N - 1), S = Big.To32(N - 1) }, null));
        cases.Add((hash, good with { R = Big.To32(1), S = Big.To32(1) }, true));
        cases.Add((new byte[32], good, true));                                 // e = 0
        cases.Add((Big.To32(N), good, true));                                  // e ≡ 0 mod n
        cases.Add((Big.To32(Big.Two256 - 1), good, true));

        foreach (var (h, sig, expectOk) in cases)
        {
            if (expectOk is { } expectation)
            {
                Assert.Equal(expectation, ReferenceSecp256k1.TryRecoverPublicKey(h, sig, out _));
            }

            AssertSameRecovery(h, sig);
        }
    }

    [Fact]
    public void Recovery_of_the_point_at_infinity_fails()
    {
        // Q = r⁻¹(s·R − e·G) is infinity when s·R = e·G: with R = kG that is e = s·k mod n.
        var rng = new Random(17);
        for (var i = 0; i < 20; i++)
        {
            var k = Big.RandomBelow(rng, N - 1) + 1;
            var kPub = ReferenceSecp256k1.PublicKeyBytes(Big.To32(k));
            var rx = new BigInteger(kPub.AsSpan(0, 32), isUnsigned: true, isBigEndian: true);
            if (rx >= N)
            {
                continue;
            }

            var yOdd = (kPub[63] & 1) == 1;
            var s = Big.RandomBelow(rng, N - 1) + 1;
            var e = Big.Mod(s * k, N);
            var sig = new Signature(Big.To32(rx), Big.To32(s), (byte)(yOdd ? 1 : 0));
            Assert.False(ReferenceSecp256k1.TryRecoverPublicKey(Big.To32(e), sig, out _));
            Assert.False(Secp256k1.TryRecoverPublicKey(Big.To32(e), sig, out var key));
            Assert.Empty(key);
        }
    }

    [Fact]
    public void Invalid_inputs_throw_the_same_exceptions()
    {
        var hash = new byte[32];
        byte[][] badKeys = [Big.To32(0), Big.To32(N), Big.To32(N + 1), Big.To32(Big.Two256 - 1), [1, .. new byte[32]], []];
        foreach (var key in badKeys)
        {
            var expected = Assert.ThrowsAny<ArgumentException>(() => ReferenceSecp256k1.Sign(hash, key));
            var actual = Assert.ThrowsAny<ArgumentException>(() => Secp256k1.Sign(hash, key));
            Assert.Equal(expected.GetType(), actual.GetType());
            Assert.Equal(expected.ParamName, actual.ParamName);
            Assert.Equal(expected.Message, actual.Message);
        }

        foreach (var badHash in new[] { new byte[31], new byte[33], [] })
        {
            var expected = Assert.ThrowsAny<ArgumentException>(() => ReferenceSecp256k1.Sign(badHash, Big.To32(1)));
            var actual = Assert.ThrowsAny<ArgumentException>(() => Secp256k1.Sign(badHash, Big.To32(1)));
            Assert.Equal(expected.Message, actual.Message);
        }

        // Keys with leading zero bytes, or shorter than 32 bytes, are the same integer.
        byte[][] oddKeys = [[0, .. Big.To32(5)], [5], [0, 0, 0, 1, 2, 3]];
        foreach (var key in oddKeys)
        {
            AssertSameSignature(ReferenceSecp256k1.Sign(hash, key), Secp256k1.Sign(hash, key));
        }
    }

    [Fact]
    public void Public_key_of_unusual_private_keys_matches()
    {
        byte[][] good = [[7], [0, .. Big.To32(N - 1)], [0, 0, 0, 1, 2, 3]];
        foreach (var key in good)
        {
            Assert.Equal(Convert.ToHexString(ReferenceSecp256k1.PublicKeyBytes(key)), Convert.ToHexString(Secp256k1.PublicKeyBytes(key)));
        }

        // Out-of-range keys are refused exactly as the original refuses them.
        byte[][] bad = [Big.To32(0), Big.To32(N), Big.To32(N + 1), Big.To32(Big.Two256 - 1), [], [1, .. new byte[32]]];
        foreach (var key in bad)
        {
            var expected = Record.Exception(() => ReferenceSecp256k1.PublicKeyBytes(key));
            var actual = Record.Exception(() => Secp256k1.PublicKeyBytes(key));
            Assert.NotNull(expected);
            Assert.Equal(expected.GetType(), actual?.GetType());
            Assert.Equal(expected.Message, actual?.Message);
        }
    }
}
