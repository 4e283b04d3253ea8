using System.Numerics;
using CsCheck;
using Orchestrator.Domain.Crypto.Secp256k1Fast;

namespace Orchestrator.Crypto.Tests;

/// <summary>Arithmetic mod n against BigInteger. Scalars are kept fully reduced, so inputs are drawn below n.</summary>
public sealed class ScalarTests
{
    private static readonly BigInteger N = Big.N;

    private static readonly Gen<BigInteger> Value = Gen.OneOf(
        Gen.Byte.Array[32].Select(b => Big.Mod(new BigInteger(b, isUnsigned: true), N)),
        Gen.Int[0, 49].Select(i => Big.EdgeValues().Select(v => Big.Mod(v, N)).ElementAt(i % Big.EdgeValues().Count())));

    [Fact]
    public void Add_mul_sqr_negate_match_bigint()
    {
        Gen.Select(Value, Value).Sample((x, y) =>
        {
            Scalar a = Big.Sc(x), b = Big.Sc(y);
            Assert.Equal(Big.Mod(x + y, N), Big.Of(Scalar.Add(a, b)));
            Assert.Equal(Big.Mod(x * y, N), Big.Of(Scalar.Mul(a, b)));
            Assert.Equal(Big.Mod(x * x, N), Big.Of(Scalar.Sqr(a)));
            Assert.Equal(Big.Mod(-x, N), Big.Of(Scalar.Negate(a)));
            Assert.Equal(x > N / 2, a.IsHigh);
        }, iter: 20_000);
    }

    [Fact]
    public void Products_of_extreme_values_reduce_fully()
    {
        // The largest 512-bit inputs the reduction sees come from (n − 1)²; also check the raw 2^256 − 1 limbs.
        BigInteger[] xs = [N - 1, N - 2, N / 2, N / 2 + 1, 1, 0, Big.Two256 - 1, Big.Two256 - N];
        foreach (var x in xs)
        {
            foreach (var y in xs)
            {
                Assert.Equal(Big.Mod(x * y, N), Big.Of(Scalar.Mul(Big.Sc(x), Big.Sc(y))));
            }
        }
    }

    [Fact]
    public void Inverse_matches_fermat()
    {
        for (var i = 0; i < 300; i++)
        {
            var x = i < 3 ? new[] { BigInteger.One, N - 1, N / 2 }[i] : Big.RandomBelow(new Random(i), N - 1) + 1;
            var inv = Scalar.Inverse(Big.Sc(x));
            Assert.Equal(BigInteger.ModPow(x, N - 2, N), Big.Of(inv));
            Assert.Equal(BigInteger.ModPow(x, N - 2, N), Big.Of(Scalar.InverseVar(Big.Sc(x))));
            Assert.Equal(BigInteger.ModPow(x, N - 2, N), Big.Of(Scalar.InverseBlinded(Big.Sc(x))));
            Assert.Equal(BigInteger.One, Big.Mod(x * Big.Of(inv), N));
        }

        Assert.True(Scalar.Inverse(Scalar.Zero).IsZero);
        Assert.True(Scalar.InverseVar(Scalar.Zero).IsZero);
    }

    [Fact]
    public void Reading_and_reducing_bytes()
    {
        foreach (var x in Big.EdgeValues())
        {
            var bytes = Big.To32(x);
            Assert.Equal(Big.Mod(x, N), Big.Of(Scalar.FromBytesReduce(bytes)));
            Assert.True(Scalar.TryRead(bytes, out var raw, out var belowN));
            Assert.Equal(x, Big.Of(raw));
            Assert.Equal(x < N, belowN);

            // Longer inputs with leading zeros are the same value; shorter ones are left-padded.
            Assert.True(Scalar.TryRead([0, 0, .. bytes], out var padded, out _));
            Assert.Equal(x, Big.Of(padded));
            var trimmed = bytes.AsSpan(bytes.AsSpan().IndexOfAnyExcept((byte)0) is var k and >= 0 ? k : 32).ToArray();
            Assert.True(Scalar.TryRead(trimmed, out var shortValue, out _));
            Assert.Equal(x, Big.Of(shortValue));
        }

        Assert.False(Scalar.TryRead([1, .. new byte[32]], out _, out _));
        Assert.True(Scalar.TryRead([], out var empty, out var emptyBelow));
        Assert.True(empty.IsZero && emptyBelow);
    }
}
