using System.Buffers.Binary;
using System.Numerics;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>Curve constants: y² = x³ + 7 over GF(p), generator G of prime order n, and the GLV endomorphism.</summary>
internal static class Curve
{
    public static readonly AffinePoint G = new(
        new FieldElement(0x59F2815B16F81798UL, 0x029BFCDB2DCE28D9UL, 0x55A06295CE870B07UL, 0x79BE667EF9DCBBACUL),
        new FieldElement(0x9C47D08FFB10D4B8UL, 0xFD17B448A6855419UL, 0x5DA4FBFC0E1108A8UL, 0x483ADA7726A3C465UL));

    /// <summary>β, a cube root of unity mod p: (x, y) ↦ (βx, y) is multiplication by <see cref="Lambda"/>.</summary>
    public static readonly FieldElement Beta =
        new(0xC1396C28719501EEUL, 0x9CF0497512F58995UL, 0x6E64479EAC3434E9UL, 0x7AE96A2B657C0710UL);

    /// <summary>λ, the cube root of unity mod n matching <see cref="Beta"/> (checked by the tests).</summary>
    public static readonly BigInteger Lambda =
        BigInteger.Parse("05363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72", System.Globalization.NumberStyles.HexNumber, null);

    public static readonly BigInteger N =
        BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber, null);

    // A short basis of the lattice {(a, b) : a + bλ ≡ 0 mod n}, from the extended Euclidean algorithm on (n, λ)
    // (Guide to Elliptic Curve Cryptography, algorithm 3.74); v1 = (A1, B1), v2 = (A2, B2). Checked by the tests.
    private static readonly BigInteger A1 = Hex("3086d221a7d46bcde86c90e49284eb15");
    private static readonly BigInteger B1 = -Hex("e4437ed6010e88286f547fa90abfe4c3");
    private static readonly BigInteger A2 = Hex("114ca50f7a8e2f3f657c1108d9d44cfd8");
    private static readonly BigInteger B2 = Hex("3086d221a7d46bcde86c90e49284eb15");

    private static BigInteger Hex(string hex) =>
        BigInteger.Parse("0" + hex, System.Globalization.NumberStyles.HexNumber, null);

    /// <summary>
    /// k = k1 + k2·λ (mod n) with |k1|, |k2| &lt; 2^129 (in practice ≤ 128 bits). Variable-time (BigInteger), so it is
    /// only used on public scalars in recovery.
    /// </summary>
    public static void SplitLambda(in Scalar k, out Scalar k1, out bool k1Negative, out Scalar k2, out bool k2Negative)
    {
        Span<byte> bytes = stackalloc byte[32];
        k.WriteBytes(bytes);
        var kb = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var c1 = RoundDiv(B2 * kb, N);
        var c2 = RoundDiv(-B1 * kb, N);
        var x1 = kb - (c1 * A1) - (c2 * A2);
        var x2 = -(c1 * B1) - (c2 * B2);
        k1 = FromBig(BigInteger.Abs(x1));
        k1Negative = x1.Sign < 0;
        k2 = FromBig(BigInteger.Abs(x2));
        k2Negative = x2.Sign < 0;
    }

    /// <summary>round(a / b) for a ≥ 0, b &gt; 0.</summary>
    private static BigInteger RoundDiv(BigInteger a, BigInteger b) => ((a << 1) + b) / (b << 1);

    /// <summary>A non-negative BigInteger below 2^256 as raw limbs (not reduced mod n).</summary>
    private static Scalar FromBig(BigInteger v)
    {
        Span<byte> b = stackalloc byte[33];
        b.Clear();
        if (!v.TryWriteBytes(b, out var written, isUnsigned: true, isBigEndian: false) || written > 32)
        {
            throw new InvalidOperationException("GLV component out of range");
        }

        return new Scalar(
            BinaryPrimitives.ReadUInt64LittleEndian(b),
            BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[24..]));
    }
}
