using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// An element of GF(p), p = 2^256 − 2^32 − 977, as four little-endian 64-bit limbs.
/// <para>
/// Representation: any value in [0, 2^256) stands for itself mod p ("weakly reduced"); only
/// <see cref="Normalize"/> produces the canonical value in [0, p). Every operation accepts any weakly reduced
/// input (including the non-canonical p..2^256−1) and returns a weakly reduced output, so the hot paths never
/// compare against p. Reduction uses 2^256 ≡ C = 2^32 + 977 (mod p).
/// </para>
/// <para>All operations here are branch-free in the values (carries become masks or setcc), so they are
/// usable on secrets; <see cref="Inverse"/> and <see cref="Sqrt"/> use fixed addition chains.</para>
/// </summary>
internal struct FieldElement
{
    /// <summary>2^256 mod p.</summary>
    internal const ulong C = 0x1000003D1UL;

    public ulong L0, L1, L2, L3;

    public FieldElement(ulong l0, ulong l1, ulong l2, ulong l3)
    {
        L0 = l0;
        L1 = l1;
        L2 = l2;
        L3 = l3;
    }

    public static FieldElement Zero => default;

    public static FieldElement One => new(1, 0, 0, 0);

    /// <summary>p itself, as limbs (for the range check on decoding).</summary>
    public static FieldElement P => new(0xFFFFFFFEFFFFFC2FUL, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);

    /// <summary>Reads 32 big-endian bytes without reduction (the value may be ≥ p; see <see cref="IsCanonical"/>).</summary>
    public static FieldElement FromBytes(ReadOnlySpan<byte> b32) => new(
        BinaryPrimitives.ReadUInt64BigEndian(b32[24..]),
        BinaryPrimitives.ReadUInt64BigEndian(b32[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(b32[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(b32));

    /// <summary>Writes the canonical value as 32 big-endian bytes.</summary>
    public readonly void WriteBytes(Span<byte> b32)
    {
        var n = Normalize(this);
        BinaryPrimitives.WriteUInt64BigEndian(b32, n.L3);
        BinaryPrimitives.WriteUInt64BigEndian(b32[8..], n.L2);
        BinaryPrimitives.WriteUInt64BigEndian(b32[16..], n.L1);
        BinaryPrimitives.WriteUInt64BigEndian(b32[24..], n.L0);
    }

    /// <summary>True when the limbs already hold a value below p.</summary>
    public readonly bool IsCanonical
    {
        get
        {
            // value ≥ p exactly when value + C carries out of 2^256.
            _ = AddCarry(L0, C, 0, out var c);
            _ = AddCarry(L1, 0, c, out c);
            _ = AddCarry(L2, 0, c, out c);
            _ = AddCarry(L3, 0, c, out c);
            return c == 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddCarry(ulong a, ulong b, ulong carryIn, out ulong carryOut)
    {
        var s = a + b;
        var c1 = s < a ? 1UL : 0UL;
        var r = s + carryIn;
        carryOut = c1 | (r < s ? 1UL : 0UL);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SubBorrow(ulong a, ulong b, ulong borrowIn, out ulong borrowOut)
    {
        var d = a - b;
        var b1 = a < b ? 1UL : 0UL;
        var r = d - borrowIn;
        borrowOut = b1 | (d < borrowIn ? 1UL : 0UL);
        return r;
    }

    /// <summary>The canonical representative in [0, p).</summary>
    public static FieldElement Normalize(in FieldElement a)
    {
        var t0 = AddCarry(a.L0, C, 0, out var c);
        var t1 = AddCarry(a.L1, 0, c, out c);
        var t2 = AddCarry(a.L2, 0, c, out c);
        var t3 = AddCarry(a.L3, 0, c, out c);
        var m = 0UL - c; // all ones when a ≥ p: take a + C − 2^256 = a − p
        return new(
            (t0 & m) | (a.L0 & ~m),
            (t1 & m) | (a.L1 & ~m),
            (t2 & m) | (a.L2 & ~m),
            (t3 & m) | (a.L3 & ~m));
    }

    /// <summary>Folds a carry-out (value = t + top·2^256, top &lt; 2^35) back below 2^256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FieldElement Fold(ulong t0, ulong t1, ulong t2, ulong t3, ulong top)
    {
        var lo = top * C; // top·C < 2^68
        var hi = Wide.Hi(top, C);
        t0 = AddCarry(t0, lo, 0, out var c);
        t1 = AddCarry(t1, hi, c, out c);
        t2 = AddCarry(t2, 0, c, out c);
        t3 = AddCarry(t3, 0, c, out c);

        // If that wrapped, the value left is below 2^68, so adding C once more cannot carry past limb 1.
        var extra = C & (0UL - c);
        t0 = AddCarry(t0, extra, 0, out c);
        t1 += c;
        return new(t0, t1, t2, t3);
    }

    /// <summary>Reduces a 512-bit value r (little-endian limbs) to a weakly reduced element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FieldElement Reduce(ulong r0, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, ulong r6, ulong r7)
    {
        // r = lo + hi·2^256 ≡ lo + hi·C; hi·C < 2^290, so this leaves at most 34 bits above 2^256.
        ulong h, l, c;
        h = Wide.Hi(r4, C); l = r4 * C; r0 += l; c = h + (r0 < l ? 1UL : 0UL);
        h = Wide.Hi(r5, C); l = r5 * C; r1 += l; h += r1 < l ? 1UL : 0UL; r1 += c; c = h + (r1 < c ? 1UL : 0UL);
        h = Wide.Hi(r6, C); l = r6 * C; r2 += l; h += r2 < l ? 1UL : 0UL; r2 += c; c = h + (r2 < c ? 1UL : 0UL);
        h = Wide.Hi(r7, C); l = r7 * C; r3 += l; h += r3 < l ? 1UL : 0UL; r3 += c; c = h + (r3 < c ? 1UL : 0UL);
        return Fold(r0, r1, r2, r3, c);
    }

    public static FieldElement Mul(in FieldElement x, in FieldElement y)
    {
        ulong a0 = x.L0, a1 = x.L1, a2 = x.L2, a3 = x.L3, b0 = y.L0, b1 = y.L1, b2 = y.L2, b3 = y.L3;
        ulong h, l, c, r0, r1, r2, r3, r4, r5, r6, r7;
        h = Wide.Hi(a0, b0); l = a0 * b0; r0 = l; c = h;
        h = Wide.Hi(a0, b1); l = a0 * b1; r1 = l + c; c = h + (r1 < l ? 1UL : 0UL);
        h = Wide.Hi(a0, b2); l = a0 * b2; r2 = l + c; c = h + (r2 < l ? 1UL : 0UL);
        h = Wide.Hi(a0, b3); l = a0 * b3; r3 = l + c; c = h + (r3 < l ? 1UL : 0UL);
        r4 = c;
        h = Wide.Hi(a1, b0); l = a1 * b0; r1 += l; c = h + (r1 < l ? 1UL : 0UL);
        h = Wide.Hi(a1, b1); l = a1 * b1; r2 += l; h += r2 < l ? 1UL : 0UL; r2 += c; c = h + (r2 < c ? 1UL : 0UL);
        h = Wide.Hi(a1, b2); l = a1 * b2; r3 += l; h += r3 < l ? 1UL : 0UL; r3 += c; c = h + (r3 < c ? 1UL : 0UL);
        h = Wide.Hi(a1, b3); l = a1 * b3; r4 += l; h += r4 < l ? 1UL : 0UL; r4 += c; c = h + (r4 < c ? 1UL : 0UL);
        r5 = c;
        h = Wide.Hi(a2, b0); l = a2 * b0; r2 += l; c = h + (r2 < l ? 1UL : 0UL);
        h = Wide.Hi(a2, b1); l = a2 * b1; r3 += l; h += r3 < l ? 1UL : 0UL; r3 += c; c = h + (r3 < c ? 1UL : 0UL);
        h = Wide.Hi(a2, b2); l = a2 * b2; r4 += l; h += r4 < l ? 1UL : 0UL; r4 += c; c = h + (r4 < c ? 1UL : 0UL);
        h = Wide.Hi(a2, b3); l = a2 * b3; r5 += l; h += r5 < l ? 1UL : 0UL; r5 += c; c = h + (r5 < c ? 1UL : 0UL);
        r6 = c;
        h = Wide.Hi(a3, b0); l = a3 * b0; r3 += l; c = h + (r3 < l ? 1UL : 0UL);
        h = Wide.Hi(a3, b1); l = a3 * b1; r4 += l; h += r4 < l ? 1UL : 0UL; r4 += c; c = h + (r4 < c ? 1UL : 0UL);
        h = Wide.Hi(a3, b2); l = a3 * b2; r5 += l; h += r5 < l ? 1UL : 0UL; r5 += c; c = h + (r5 < c ? 1UL : 0UL);
        h = Wide.Hi(a3, b3); l = a3 * b3; r6 += l; h += r6 < l ? 1UL : 0UL; r6 += c; c = h + (r6 < c ? 1UL : 0UL);
        r7 = c;
        return Reduce(r0, r1, r2, r3, r4, r5, r6, r7);
    }

    public static FieldElement Sqr(in FieldElement x)
    {
        ulong a0 = x.L0, a1 = x.L1, a2 = x.L2, a3 = x.L3;
        ulong h, l, c, t, r0, r1, r2, r3, r4, r5, r6, r7;
        h = Wide.Hi(a0, a1); l = a0 * a1; r1 = l; c = h;
        h = Wide.Hi(a0, a2); l = a0 * a2; r2 = l + c; c = h + (r2 < l ? 1UL : 0UL);
        h = Wide.Hi(a0, a3); l = a0 * a3; r3 = l + c; c = h + (r3 < l ? 1UL : 0UL);
        r4 = c;
        h = Wide.Hi(a1, a2); l = a1 * a2; r3 += l; c = h + (r3 < l ? 1UL : 0UL);
        h = Wide.Hi(a1, a3); l = a1 * a3; r4 += l; h += r4 < l ? 1UL : 0UL; r4 += c; c = h + (r4 < c ? 1UL : 0UL);
        r5 = c;
        h = Wide.Hi(a2, a3); l = a2 * a3; r5 += l; c = h + (r5 < l ? 1UL : 0UL);
        r6 = c;
        r7 = r6 >> 63; r6 = (r6 << 1) | (r5 >> 63); r5 = (r5 << 1) | (r4 >> 63); r4 = (r4 << 1) | (r3 >> 63); r3 = (r3 << 1) | (r2 >> 63); r2 = (r2 << 1) | (r1 >> 63); r1 <<= 1;
        h = Wide.Hi(a0, a0); r0 = a0 * a0; r1 += h; c = r1 < h ? 1UL : 0UL;
        h = Wide.Hi(a1, a1); l = a1 * a1; r2 += l; t = r2 < l ? 1UL : 0UL; r2 += c; t += r2 < c ? 1UL : 0UL; r3 += h; c = r3 < h ? 1UL : 0UL; r3 += t; c += r3 < t ? 1UL : 0UL;
        h = Wide.Hi(a2, a2); l = a2 * a2; r4 += l; t = r4 < l ? 1UL : 0UL; r4 += c; t += r4 < c ? 1UL : 0UL; r5 += h; c = r5 < h ? 1UL : 0UL; r5 += t; c += r5 < t ? 1UL : 0UL;
        h = Wide.Hi(a3, a3); l = a3 * a3; r6 += l; t = r6 < l ? 1UL : 0UL; r6 += c; t += r6 < c ? 1UL : 0UL; r7 += h; c = r7 < h ? 1UL : 0UL; r7 += t; c += r7 < t ? 1UL : 0UL;
        return Reduce(r0, r1, r2, r3, r4, r5, r6, r7);
    }

    /// <summary>a·k for a small constant k &lt; 2^32 (the curve's 3b = 21, and 2, 3, 8 in the formulas).</summary>
    public static FieldElement MulSmall(in FieldElement a, uint k)
    {
        ulong h0 = Wide.Hi(a.L0, k), t0 = a.L0 * k;
        ulong h1 = Wide.Hi(a.L1, k), t1 = a.L1 * k;
        ulong h2 = Wide.Hi(a.L2, k), t2 = a.L2 * k;
        ulong h3 = Wide.Hi(a.L3, k), t3 = a.L3 * k;
        t1 = AddCarry(t1, h0, 0, out var c);
        t2 = AddCarry(t2, h1, c, out c);
        t3 = AddCarry(t3, h2, c, out c);
        return Fold(t0, t1, t2, t3, h3 + c);
    }

    public static FieldElement Add(in FieldElement a, in FieldElement b)
    {
        var t0 = AddCarry(a.L0, b.L0, 0, out var c);
        var t1 = AddCarry(a.L1, b.L1, c, out c);
        var t2 = AddCarry(a.L2, b.L2, c, out c);
        var t3 = AddCarry(a.L3, b.L3, c, out c);

        // a + b − 2^256 ≡ a + b − 2^256 + C; with two non-canonical inputs the first fold can carry again,
        // after which the value is tiny and a second C cannot carry.
        t0 = AddCarry(t0, C & (0UL - c), 0, out c);
        t1 = AddCarry(t1, 0, c, out c);
        t2 = AddCarry(t2, 0, c, out c);
        t3 = AddCarry(t3, 0, c, out c);
        t0 = AddCarry(t0, C & (0UL - c), 0, out c);
        t1 += c;
        return new(t0, t1, t2, t3);
    }

    public static FieldElement Sub(in FieldElement a, in FieldElement b)
    {
        var t0 = SubBorrow(a.L0, b.L0, 0, out var c);
        var t1 = SubBorrow(a.L1, b.L1, c, out c);
        var t2 = SubBorrow(a.L2, b.L2, c, out c);
        var t3 = SubBorrow(a.L3, b.L3, c, out c);

        // A borrow means the limbs hold a − b + 2^256 ≡ a − b + C, so subtract C; if that borrows in turn
        // the limbs are ≥ 2^256 − C and one more subtraction of C cannot borrow.
        t0 = SubBorrow(t0, C & (0UL - c), 0, out c);
        t1 = SubBorrow(t1, 0, c, out c);
        t2 = SubBorrow(t2, 0, c, out c);
        t3 = SubBorrow(t3, 0, c, out c);
        t0 = SubBorrow(t0, C & (0UL - c), 0, out c);
        t1 -= c;
        return new(t0, t1, t2, t3);
    }

    public static FieldElement Negate(in FieldElement a) => Sub(Zero, a);

    /// <summary>Constant-time select: <paramref name="mask"/> all ones picks b, zero picks a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldElement Select(ulong mask, in FieldElement a, in FieldElement b) => new(
        (a.L0 & ~mask) | (b.L0 & mask),
        (a.L1 & ~mask) | (b.L1 & mask),
        (a.L2 & ~mask) | (b.L2 & mask),
        (a.L3 & ~mask) | (b.L3 & mask));

    public readonly bool IsZero
    {
        get
        {
            var n = Normalize(this);
            return (n.L0 | n.L1 | n.L2 | n.L3) == 0;
        }
    }

    public readonly bool IsOdd => (Normalize(this).L0 & 1) != 0;

    public static bool Equal(in FieldElement a, in FieldElement b) => Sub(a, b).IsZero;

    private static FieldElement SqrN(FieldElement a, int n)
    {
        for (var i = 0; i < n; i++)
        {
            a = Sqr(a);
        }

        return a;
    }

    /// <summary>
    /// a^(2^223 − 1) and a^(2^22 − 1), a^3: the shared prefix of the chains for p − 2 and (p + 1)/4, both of
    /// which start with 223 one bits (the block structure follows the addition chain described by libsecp256k1).
    /// </summary>
    private static FieldElement Chain223(in FieldElement a, out FieldElement x2, out FieldElement x22)
    {
        x2 = Mul(Sqr(a), a);
        var x3 = Mul(Sqr(x2), a);
        var x6 = Mul(SqrN(x3, 3), x3);
        var x9 = Mul(SqrN(x6, 3), x3);
        var x11 = Mul(SqrN(x9, 2), x2);
        x22 = Mul(SqrN(x11, 11), x11);
        var x44 = Mul(SqrN(x22, 22), x22);
        var x88 = Mul(SqrN(x44, 44), x44);
        var x176 = Mul(SqrN(x88, 88), x88);
        var x220 = Mul(SqrN(x176, 44), x44);
        return Mul(SqrN(x220, 3), x3);
    }

    /// <summary>a^(p−2) = a^−1 (0 maps to 0). p − 2 = [223 ones] 0 [22 ones] 0000 1 0 11 0 1.</summary>
    public static FieldElement Inverse(in FieldElement a)
    {
        var r = Chain223(a, out var x2, out var x22);
        r = Mul(SqrN(r, 23), x22);
        r = Mul(SqrN(r, 5), a);
        r = Mul(SqrN(r, 3), x2);
        return Mul(SqrN(r, 2), a);
    }

    /// <summary>a^−1 by the variable-time binary algorithm: for public values, or secrets under blinding.</summary>
    public static FieldElement InverseVar(in FieldElement a)
    {
        var n = Normalize(a);
        var p = P;
        BinaryInverse.Invert(n.L0, n.L1, n.L2, n.L3, p.L0, p.L1, p.L2, p.L3, out var r0, out var r1, out var r2, out var r3);
        return new(r0, r1, r2, r3);
    }

    /// <summary>
    /// a^−1 for a secret a without a secret-dependent running time: inv(a) = b·inv(a·b) for a fresh random b, so
    /// the variable-time algorithm only ever sees the uniformly distributed a·b.
    /// </summary>
    public static FieldElement InverseBlinded(in FieldElement a)
    {
        Span<byte> random = stackalloc byte[32];
        FieldElement b;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            b = FromBytes(random);
        }
        while (b.IsZero);

        random.Clear();
        return Mul(InverseVar(Mul(a, b)), b);
    }

    /// <summary>
    /// A square root candidate a^((p+1)/4) (valid because p ≡ 3 mod 4); the caller checks it squares back to a.
    /// (p + 1)/4 = [223 ones] 0 [22 ones] 0000 11 00.
    /// </summary>
    public static FieldElement SqrtCandidate(in FieldElement a)
    {
        var r = Chain223(a, out var x2, out var x22);
        r = Mul(SqrN(r, 23), x22);
        r = Mul(SqrN(r, 6), x2);
        return SqrN(r, 2);
    }

    /// <summary>Square root when a is a quadratic residue.</summary>
    public static bool TrySqrt(in FieldElement a, out FieldElement root)
    {
        root = SqrtCandidate(a);
        return Equal(Sqr(root), a);
    }
}
