using System.Numerics;
using Orchestrator.Domain.Crypto.Secp256k1Fast;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Math.EC;
using BcBig = Org.BouncyCastle.Math.BigInteger;

namespace Orchestrator.Crypto.Tests;

/// <summary>Point arithmetic, the GLV constants, wNAF and both multipliers against BouncyCastle.</summary>
public sealed class CurveTests
{
    private static readonly ECPoint BcG = CustomNamedCurves.GetByName("secp256k1").G;

    private static BcBig Bc(BigInteger v) => new(1, Big.To32(v));

    private static (BigInteger X, BigInteger Y)? Affine(ProjectivePoint p) =>
        p.TryToAffine(out var a, secret: false) ? (Big.Of(FieldElement.Normalize(a.X)), Big.Of(FieldElement.Normalize(a.Y))) : null;

    private static (BigInteger X, BigInteger Y)? Affine(ECPoint p)
    {
        p = p.Normalize();
        return p.IsInfinity ? null : (Big.Hex(p.AffineXCoord.ToBigInteger().ToString(16)), Big.Hex(p.AffineYCoord.ToBigInteger().ToString(16)));
    }

    private static AffinePoint ToAffine(ECPoint p)
    {
        var a = Affine(p)!.Value;
        return new AffinePoint(Big.Fe(a.X), Big.Fe(a.Y));
    }

    [Fact]
    public void Endomorphism_constants_agree()
    {
        var lambda = Curve.Lambda;
        var beta = Big.Of(Curve.Beta);
        Assert.Equal(BigInteger.One, BigInteger.ModPow(lambda, 3, Big.N));
        Assert.Equal(BigInteger.One, BigInteger.ModPow(beta, 3, Big.P));
        var lg = Affine(Multiplier.MulG(Big.Sc(lambda)))!.Value;
        var g = Affine(BcG)!.Value;
        Assert.Equal(Big.Mod(beta * g.X, Big.P), lg.X);
        Assert.Equal(g.Y, lg.Y);
    }

    [Fact]
    public void Lambda_split_recombines_into_short_halves()
    {
        var rng = new Random(11);
        var cases = Enumerable.Range(0, 3000).Select(_ => Big.RandomBelow(rng, Big.N))
            .Concat([0, 1, 2, Big.N - 1, Big.N - 2, Big.N / 2, Curve.Lambda, Big.N - Curve.Lambda]);
        foreach (var k in cases)
        {
            Curve.SplitLambda(Big.Sc(k), out var k1, out var n1, out var k2, out var n2);
            var a = n1 ? -Big.Of(k1) : Big.Of(k1);
            var b = n2 ? -Big.Of(k2) : Big.Of(k2);
            Assert.Equal(k, Big.Mod(a + (b * Curve.Lambda), Big.N));
            Assert.True(Big.Of(k1) < BigInteger.Pow(2, 129) && Big.Of(k2) < BigInteger.Pow(2, 129));
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    public void Wnaf_digits_reconstruct_the_value(int w)
    {
        var rng = new Random(w);
        var values = Enumerable.Range(0, 2000).Select(_ => Big.RandomBelow(rng, BigInteger.Pow(2, 129)))
            .Concat([0, 1, BigInteger.Pow(2, 128) - 1, BigInteger.Pow(2, 129) - 1, BigInteger.Pow(2, 254) - 1]);
        Span<sbyte> digits = stackalloc sbyte[260];
        foreach (var v in values)
        {
            digits.Clear();
            var len = Multiplier.Wnaf(digits, Big.Sc(v), w);
            BigInteger sum = 0;
            var lastNonZero = -w;
            for (var i = len - 1; i >= 0; i--)
            {
                sum = (sum << 1) + digits[i];
            }

            for (var i = 0; i < len; i++)
            {
                if (digits[i] != 0)
                {
                    Assert.True((digits[i] & 1) == 1 && Math.Abs((int)digits[i]) < (1 << (w - 1)));
                    Assert.True(i - lastNonZero >= w);
                    lastNonZero = i;
                }
            }

            Assert.Equal(v, sum);
        }
    }

    [Fact]
    public void Complete_formulas_cover_doubling_inverse_and_infinity()
    {
        var p = ProjectivePoint.FromAffine(Curve.G);
        var g = Affine(BcG)!.Value;
        var g2 = Affine(BcG.Twice())!.Value;
        Assert.Equal(g2, Affine(ProjectivePoint.Add(p, p)));
        Assert.Equal(g2, Affine(ProjectivePoint.AddMixed(p, Curve.G)));
        Assert.Equal(g2, Affine(ProjectivePoint.Double(p)));
        Assert.Null(Affine(ProjectivePoint.Add(p, ProjectivePoint.Negate(p))));
        Assert.Null(Affine(ProjectivePoint.AddMixed(p, AffinePoint.Negate(Curve.G))));
        Assert.Equal(g, Affine(ProjectivePoint.Add(ProjectivePoint.Infinity, p)));
        Assert.Equal(g, Affine(ProjectivePoint.Add(p, ProjectivePoint.Infinity)));
        Assert.Equal(g, Affine(ProjectivePoint.AddMixed(ProjectivePoint.Infinity, Curve.G)));
        Assert.Null(Affine(ProjectivePoint.Double(ProjectivePoint.Infinity)));
        Assert.Null(Affine(ProjectivePoint.Add(ProjectivePoint.Infinity, ProjectivePoint.Infinity)));
    }

    [Fact]
    public void Fixed_base_multiplication_matches_bouncycastle()
    {
        var rng = new Random(3);
        var cases = Enumerable.Range(0, 500).Select(_ => Big.RandomBelow(rng, Big.N))
            .Concat([1, 2, 3, 15, 16, 17, Big.N - 1, Big.N - 2, Big.N / 2, BigInteger.Pow(2, 252), Big.Hex("0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F"), Big.Hex("F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0") % Big.N]);
        foreach (var k in cases)
        {
            Assert.Equal(Affine(BcG.Multiply(Bc(k))), Affine(Multiplier.MulG(Big.Sc(k))));
        }

        Assert.Null(Affine(Multiplier.MulG(Scalar.Zero)));
    }

    [Fact]
    public void Double_scalar_multiplication_matches_bouncycastle()
    {
        var rng = new Random(5);
        for (var i = 0; i < 400; i++)
        {
            var u1 = i % 50 == 0 ? BigInteger.Zero : Big.RandomBelow(rng, Big.N);
            var u2 = i % 37 == 0 ? BigInteger.One : Big.RandomBelow(rng, Big.N - 1) + 1;
            var t = i % 23 == 0 ? BigInteger.One : Big.RandomBelow(rng, Big.N - 1) + 1;
            var r = BcG.Multiply(Bc(t)).Normalize();
            var expected = ECAlgorithms.SumOfTwoMultiplies(BcG, Bc(u1), r, Bc(u2));
            Assert.Equal(Affine(expected), Affine(Multiplier.MulAddG(Big.Sc(u1), ToAffine(r), Big.Sc(u2))));
        }

        // u1·G + u2·(tG) is infinity when u1 = −u2·t.
        var tt = Big.RandomBelow(rng, Big.N - 1) + 1;
        var uu = Big.RandomBelow(rng, Big.N - 1) + 1;
        var rr = ToAffine(BcG.Multiply(Bc(tt)));
        Assert.Null(Affine(Multiplier.MulAddG(Big.Sc(Big.Mod(-uu * tt, Big.N)), rr, Big.Sc(uu))));
    }
}
