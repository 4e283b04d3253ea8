using System.Numerics;
using CsCheck;
using Orchestrator.Domain.Crypto.Secp256k1Fast;

namespace Orchestrator.Crypto.Tests;

/// <summary>GF(p) arithmetic against BigInteger, on random limbs (any value below 2^256, so non-canonical inputs in
/// [p, 2^256) are included), limb-edge values and every boundary pair.</summary>
public sealed class FieldTests
{
    private static readonly BigInteger P = Big.P;

    /// <summary>Limbs biased towards carries and the representation's edges.</summary>
    private static readonly Gen<ulong> Limb = Gen.OneOf(
        Gen.ULong,
        Gen.ULong,
        Gen.OneOf(0UL, 1UL, 2UL, ulong.MaxValue, ulong.MaxValue - 1, 0xFFFFFFFEFFFFFC2FUL, 0xFFFFFFFEFFFFFC2EUL, 0xFFFFFFFEFFFFFC30UL, 0x1000003D1UL, 1UL << 63));

    private static readonly Gen<FieldElement> Element =
        Gen.Select(Limb, Limb, Limb, Limb).Select((a, b, c, d) => new FieldElement(a, b, c, d));

    private static void Check(BigInteger expected, FieldElement actual)
    {
        var value = Big.Of(actual);
        Assert.True(value < Big.Two256);
        Assert.Equal(Big.Mod(expected, P), value % P);
        Assert.Equal(Big.Mod(expected, P), Big.Of(FieldElement.Normalize(actual)));
    }

    [Fact]
    public void Add_sub_mul_sqr_match_bigint_on_random_values()
    {
        Gen.Select(Element, Element).Sample((a, b) =>
        {
            BigInteger x = Big.Of(a), y = Big.Of(b);
            Check(x + y, FieldElement.Add(a, b));
            Check(x - y, FieldElement.Sub(a, b));
            Check(x * y, FieldElement.Mul(a, b));
            Check(x * x, FieldElement.Sqr(a));
            Check(-x, FieldElement.Negate(a));
            Check(x * 21, FieldElement.MulSmall(a, 21));
            Check(x * uint.MaxValue, FieldElement.MulSmall(a, uint.MaxValue));
            Assert.Equal(Big.Mod(x, P) < P && x < P, a.IsCanonical);
        }, iter: 20_000);
    }

    [Fact]
    public void Operations_match_bigint_on_all_edge_pairs()
    {
        var edges = Big.EdgeValues().ToArray();
        foreach (var x in edges)
        {
            var a = Big.Fe(x);
            Check(x, FieldElement.Normalize(a));
            Check(x * x, FieldElement.Sqr(a));
            Check(x * 8, FieldElement.MulSmall(a, 8));
            foreach (var y in edges)
            {
                var b = Big.Fe(y);
                Check(x + y, FieldElement.Add(a, b));
                Check(x - y, FieldElement.Sub(a, b));
                Check(x * y, FieldElement.Mul(a, b));
            }
        }
    }

    [Fact]
    public void Chained_operations_on_weakly_reduced_outputs_stay_correct()
    {
        // Outputs are only weakly reduced; feed them back many times to exercise that contract.
        var rng = new Random(7);
        var a = Big.Fe(Big.RandomBelow(rng, Big.Two256));
        var b = Big.Fe(Big.Two256 - 1);
        BigInteger x = Big.Of(a), y = Big.Of(b);
        for (var i = 0; i < 5_000; i++)
        {
            (a, x) = (i % 4) switch
            {
                0 => (FieldElement.Add(a, b), x + y),
                1 => (FieldElement.Sub(a, b), x - y),
                2 => (FieldElement.Mul(a, b), x * y),
                _ => (FieldElement.Sqr(FieldElement.Add(a, a)), 4 * x * x),
            };
            b = FieldElement.Add(b, a);
            x = Big.Mod(x, P);
            y = Big.Mod(y + x, P);
            Assert.Equal(x, Big.Of(a) % P);
            Assert.Equal(y, Big.Of(b) % P);
        }
    }

    [Fact]
    public void Inverse_matches_fermat_and_maps_zero_to_zero()
    {
        foreach (var x in Big.EdgeValues().Concat(Enumerable.Range(0, 300).Select(i => Big.RandomBelow(new Random(i), Big.Two256))))
        {
            var inv = FieldElement.Inverse(Big.Fe(x));
            var expected = Big.Mod(x, P).IsZero ? BigInteger.Zero : BigInteger.ModPow(x, P - 2, P);
            Check(expected, inv);
            Check(expected, FieldElement.InverseVar(Big.Fe(x)));
            Check(expected, FieldElement.InverseBlinded(Big.Fe(x)));
            if (!Big.Mod(x, P).IsZero)
            {
                Assert.Equal(BigInteger.One, Big.Mod(x * Big.Of(inv), P));
            }
        }
    }

    [Fact]
    public void Sqrt_finds_roots_of_residues_and_rejects_non_residues()
    {
        var residues = 0;
        foreach (var x in Big.EdgeValues().Concat(Enumerable.Range(0, 400).Select(i => Big.RandomBelow(new Random(1000 + i), Big.Two256))))
        {
            var xm = Big.Mod(x, P);
            var isResidue = xm.IsZero || BigInteger.ModPow(xm, (P - 1) / 2, P).IsOne;
            var ok = FieldElement.TrySqrt(Big.Fe(x), out var root);
            Assert.Equal(isResidue, ok);
            if (ok)
            {
                residues++;
                Assert.Equal(xm, Big.Mod(Big.Of(root) * Big.Of(root), P));
            }

            // Squares are always residues.
            var sq = FieldElement.Sqr(Big.Fe(x));
            Assert.True(FieldElement.TrySqrt(sq, out var r2));
            Assert.Equal(Big.Mod(xm * xm, P), Big.Mod(Big.Of(r2) * Big.Of(r2), P));
        }

        Assert.InRange(residues, 100, 400);
    }

    [Fact]
    public void Bytes_round_trip_canonically()
    {
        foreach (var x in Big.EdgeValues())
        {
            var bytes = new byte[32];
            Big.Fe(x).WriteBytes(bytes);
            Assert.Equal(Big.To32(Big.Mod(x, P)), bytes);
            Assert.Equal(x, Big.Of(FieldElement.FromBytes(Big.To32(x))));
            Assert.Equal(x < P, FieldElement.FromBytes(Big.To32(x)).IsCanonical);
            Assert.Equal(Big.Mod(x, P).IsZero, Big.Fe(x).IsZero);
            Assert.Equal(!Big.Mod(x, P).IsEven, Big.Fe(x).IsOdd);
        }
    }
}
