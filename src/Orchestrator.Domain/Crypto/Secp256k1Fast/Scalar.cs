using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// An integer mod the group order n, as four little-endian 64-bit limbs, always fully reduced (in [0, n)).
/// Reduction uses 2^256 ≡ NC = 2^256 − n (a 129-bit constant) mod n, folding 512 → 386 → 260 → 256 bits.
/// Arithmetic is branch-free in the values; <see cref="Inverse"/> is Fermat with a fixed window over the public
/// exponent n − 2, so it is usable on the signing nonce.
/// </summary>
internal struct Scalar
{
    // n = FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFE BAAEDCE6AF48A03B BFD25E8CD0364141
    internal const ulong N0 = 0xBFD25E8CD0364141UL;
    internal const ulong N1 = 0xBAAEDCE6AF48A03BUL;
    internal const ulong N2 = 0xFFFFFFFFFFFFFFFEUL;
    internal const ulong N3 = 0xFFFFFFFFFFFFFFFFUL;

    // NC = 2^256 − n = 1_4551231950B75FC4_402DA1732FC9BEBF
    private const ulong Nc0 = 0x402DA1732FC9BEBFUL;
    private const ulong Nc1 = 0x4551231950B75FC4UL;

    public ulong L0, L1, L2, L3;

    public Scalar(ulong l0, ulong l1, ulong l2, ulong l3)
    {
        L0 = l0;
        L1 = l1;
        L2 = l2;
        L3 = l3;
    }

    public static Scalar Zero => default;

    public static Scalar One => new(1, 0, 0, 0);

    public readonly bool IsZero => (L0 | L1 | L2 | L3) == 0;

    /// <summary>
    /// Reads a big-endian integer of any length. False when it is ≥ 2^256; otherwise <paramref name="value"/> holds it
    /// unreduced and <paramref name="belowN"/> says whether it is already &lt; n.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> bigEndian, out Scalar value, out bool belowN)
    {
        value = default;
        belowN = false;
        if (bigEndian.Length > 32)
        {
            if (bigEndian[..^32].IndexOfAnyExcept((byte)0) >= 0)
            {
                return false;
            }

            bigEndian = bigEndian[^32..];
        }

        Span<byte> b32 = stackalloc byte[32];
        b32.Clear();
        bigEndian.CopyTo(b32[(32 - bigEndian.Length)..]);
        value = FromBytesRaw(b32);
        belowN = value.BelowN();
        return true;
    }

    /// <summary>32 big-endian bytes, unreduced.</summary>
    private static Scalar FromBytesRaw(ReadOnlySpan<byte> b32) => new(
        BinaryPrimitives.ReadUInt64BigEndian(b32[24..]),
        BinaryPrimitives.ReadUInt64BigEndian(b32[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(b32[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(b32));

    /// <summary>32 big-endian bytes reduced mod n (one conditional subtraction suffices since 2^256 &lt; 2n).</summary>
    public static Scalar FromBytesReduce(ReadOnlySpan<byte> b32)
    {
        var v = FromBytesRaw(b32);
        return ReduceOnce(v.L0, v.L1, v.L2, v.L3, 0);
    }

    public readonly void WriteBytes(Span<byte> b32)
    {
        BinaryPrimitives.WriteUInt64BigEndian(b32, L3);
        BinaryPrimitives.WriteUInt64BigEndian(b32[8..], L2);
        BinaryPrimitives.WriteUInt64BigEndian(b32[16..], L1);
        BinaryPrimitives.WriteUInt64BigEndian(b32[24..], L0);
    }

    public readonly byte[] ToBytes()
    {
        var bytes = new byte[32];
        WriteBytes(bytes);
        return bytes;
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

    /// <summary>True when the (unreduced) limbs are below n, computed without branches.</summary>
    private readonly bool BelowN()
    {
        // value < n ⇔ value + NC does not carry out of 2^256.
        _ = AddCarry(L0, Nc0, 0, out var c);
        _ = AddCarry(L1, Nc1, c, out c);
        _ = AddCarry(L2, 1, c, out c);
        _ = AddCarry(L3, 0, c, out c);
        return c == 0;
    }

    /// <summary>Reduces top·2^256 + t (with top ∈ {0, 1} and the whole value &lt; 2n) to [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Scalar ReduceOnce(ulong t0, ulong t1, ulong t2, ulong t3, ulong top)
    {
        // t − n ≡ t + NC (mod 2^256); take it when t + NC carries or the value already had the 2^256 bit.
        var u0 = AddCarry(t0, Nc0, 0, out var c);
        var u1 = AddCarry(t1, Nc1, c, out c);
        var u2 = AddCarry(t2, 1, c, out c);
        var u3 = AddCarry(t3, 0, c, out c);
        var m = 0UL - (c | top);
        return new(
            (u0 & m) | (t0 & ~m),
            (u1 & m) | (t1 & ~m),
            (u2 & m) | (t2 & ~m),
            (u3 & m) | (t3 & ~m));
    }

    public static Scalar Add(in Scalar a, in Scalar b)
    {
        var t0 = AddCarry(a.L0, b.L0, 0, out var c);
        var t1 = AddCarry(a.L1, b.L1, c, out c);
        var t2 = AddCarry(a.L2, b.L2, c, out c);
        var t3 = AddCarry(a.L3, b.L3, c, out c);
        return ReduceOnce(t0, t1, t2, t3, c);
    }

    /// <summary>n − a, and 0 for 0.</summary>
    public static Scalar Negate(in Scalar a)
    {
        var nz = a.IsZero ? 0UL : ulong.MaxValue;
        ulong b;
        var t0 = N0 - a.L0;
        b = N0 < a.L0 ? 1UL : 0UL;
        var t1 = SubB(N1, a.L1, ref b);
        var t2 = SubB(N2, a.L2, ref b);
        var t3 = SubB(N3, a.L3, ref b);
        return new(t0 & nz, t1 & nz, t2 & nz, t3 & nz);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SubB(ulong a, ulong b, ref ulong borrow)
    {
        var d = a - b;
        var b1 = a < b ? 1UL : 0UL;
        var r = d - borrow;
        borrow = b1 | (d < borrow ? 1UL : 0UL);
        return r;
    }

    /// <summary>True when a &gt; n/2 (the high half that low-s normalisation negates).</summary>
    public readonly bool IsHigh
    {
        get
        {
            // n/2 = 7FFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF 5D576E7357A4501D DFE92F46681B20A0; a > n/2 ⇔ n/2 − a borrows.
            ulong b = 0;
            _ = SubB(0xDFE92F46681B20A0UL, L0, ref b);
            _ = SubB(0x5D576E7357A4501DUL, L1, ref b);
            _ = SubB(0xFFFFFFFFFFFFFFFFUL, L2, ref b);
            _ = SubB(0x7FFFFFFFFFFFFFFFUL, L3, ref b);
            return b != 0;
        }
    }

    public static Scalar Mul(in Scalar x, in Scalar y)
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
        return Reduce512(r0, r1, r2, r3, r4, r5, r6, r7);
    }

    public static Scalar Sqr(in Scalar x)
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
        return Reduce512(r0, r1, r2, r3, r4, r5, r6, r7);
    }

    /// <summary>Reduces m = m0..m7 (512 bits) mod n: 512 → 386 → 260 → 256 bits, then one conditional subtraction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Scalar Reduce512(ulong m0, ulong m1, ulong m2, ulong m3, ulong m4, ulong m5, ulong m6, ulong m7)
    {
        ulong h, l, c, t, top;
        ulong x0, x1, x2, x3, x4, x5, x6, p0, p1, p2, p3, p4, p5, p6;
        ulong y0, y1, y2, y3, y4, y5, q0, q1, q2, q3, q4;
        ulong z0, z1, z2, z3, s0, s1, s2, s3;
        // p = m[0..3] + m[4..7]·NC (NC = Nc0 + Nc1·2^64 + 2^128): ≤ 386 bits in p0..p6
        h = Wide.Hi(m4, Nc0); l = m4 * Nc0; x0 = l; c = h;
        h = Wide.Hi(m4, Nc1); l = m4 * Nc1; x1 = l + c; c = h + (x1 < l ? 1UL : 0UL);
        h = 0; l = m4; x2 = l + c; c = h + (x2 < l ? 1UL : 0UL);
        x3 = c;
        h = Wide.Hi(m5, Nc0); l = m5 * Nc0; x1 += l; c = h + (x1 < l ? 1UL : 0UL);
        h = Wide.Hi(m5, Nc1); l = m5 * Nc1; x2 += l; h += x2 < l ? 1UL : 0UL; x2 += c; c = h + (x2 < c ? 1UL : 0UL);
        h = 0; l = m5; x3 += l; h += x3 < l ? 1UL : 0UL; x3 += c; c = h + (x3 < c ? 1UL : 0UL);
        x4 = c;
        h = Wide.Hi(m6, Nc0); l = m6 * Nc0; x2 += l; c = h + (x2 < l ? 1UL : 0UL);
        h = Wide.Hi(m6, Nc1); l = m6 * Nc1; x3 += l; h += x3 < l ? 1UL : 0UL; x3 += c; c = h + (x3 < c ? 1UL : 0UL);
        h = 0; l = m6; x4 += l; h += x4 < l ? 1UL : 0UL; x4 += c; c = h + (x4 < c ? 1UL : 0UL);
        x5 = c;
        h = Wide.Hi(m7, Nc0); l = m7 * Nc0; x3 += l; c = h + (x3 < l ? 1UL : 0UL);
        h = Wide.Hi(m7, Nc1); l = m7 * Nc1; x4 += l; h += x4 < l ? 1UL : 0UL; x4 += c; c = h + (x4 < c ? 1UL : 0UL);
        h = 0; l = m7; x5 += l; h += x5 < l ? 1UL : 0UL; x5 += c; c = h + (x5 < c ? 1UL : 0UL);
        x6 = c;
        p0 = x0 + m0; c = p0 < m0 ? 1UL : 0UL;
        p1 = x1 + m1; t = p1 < m1 ? 1UL : 0UL; p1 += c; c = t + (p1 < c ? 1UL : 0UL);
        p2 = x2 + m2; t = p2 < m2 ? 1UL : 0UL; p2 += c; c = t + (p2 < c ? 1UL : 0UL);
        p3 = x3 + m3; t = p3 < m3 ? 1UL : 0UL; p3 += c; c = t + (p3 < c ? 1UL : 0UL);
        p4 = x4 + c; c = p4 < c ? 1UL : 0UL;
        p5 = x5 + c; c = p5 < c ? 1UL : 0UL;
        p6 = x6 + c; c = p6 < c ? 1UL : 0UL;
        // q = p[0..3] + p[4..6]·NC: ≤ 260 bits in q0..q4
        h = Wide.Hi(p4, Nc0); l = p4 * Nc0; y0 = l; c = h;
        h = Wide.Hi(p4, Nc1); l = p4 * Nc1; y1 = l + c; c = h + (y1 < l ? 1UL : 0UL);
        h = 0; l = p4; y2 = l + c; c = h + (y2 < l ? 1UL : 0UL);
        y3 = c;
        h = Wide.Hi(p5, Nc0); l = p5 * Nc0; y1 += l; c = h + (y1 < l ? 1UL : 0UL);
        h = Wide.Hi(p5, Nc1); l = p5 * Nc1; y2 += l; h += y2 < l ? 1UL : 0UL; y2 += c; c = h + (y2 < c ? 1UL : 0UL);
        h = 0; l = p5; y3 += l; h += y3 < l ? 1UL : 0UL; y3 += c; c = h + (y3 < c ? 1UL : 0UL);
        y4 = c;
        h = Wide.Hi(p6, Nc0); l = p6 * Nc0; y2 += l; c = h + (y2 < l ? 1UL : 0UL);
        h = Wide.Hi(p6, Nc1); l = p6 * Nc1; y3 += l; h += y3 < l ? 1UL : 0UL; y3 += c; c = h + (y3 < c ? 1UL : 0UL);
        h = 0; l = p6; y4 += l; h += y4 < l ? 1UL : 0UL; y4 += c; c = h + (y4 < c ? 1UL : 0UL);
        y5 = c;
        q0 = y0 + p0; c = q0 < p0 ? 1UL : 0UL;
        q1 = y1 + p1; t = q1 < p1 ? 1UL : 0UL; q1 += c; c = t + (q1 < c ? 1UL : 0UL);
        q2 = y2 + p2; t = q2 < p2 ? 1UL : 0UL; q2 += c; c = t + (q2 < c ? 1UL : 0UL);
        q3 = y3 + p3; t = q3 < p3 ? 1UL : 0UL; q3 += c; c = t + (q3 < c ? 1UL : 0UL);
        q4 = y4 + c; c = q4 < c ? 1UL : 0UL;
        // r = q[0..3] + q4·NC < 2^256 + 2^133; the carry-out goes to the final conditional subtraction
        h = Wide.Hi(q4, Nc0); l = q4 * Nc0; z0 = l; c = h;
        h = Wide.Hi(q4, Nc1); l = q4 * Nc1; z1 = l + c; c = h + (z1 < l ? 1UL : 0UL);
        h = 0; l = q4; z2 = l + c; c = h + (z2 < l ? 1UL : 0UL);
        z3 = c;
        s0 = q0 + z0; c = s0 < z0 ? 1UL : 0UL;
        s1 = q1 + z1; t = s1 < z1 ? 1UL : 0UL; s1 += c; c = t + (s1 < c ? 1UL : 0UL);
        s2 = q2 + z2; t = s2 < z2 ? 1UL : 0UL; s2 += c; c = t + (s2 < c ? 1UL : 0UL);
        s3 = q3 + z3; t = s3 < z3 ? 1UL : 0UL; s3 += c; c = t + (s3 < c ? 1UL : 0UL);
        top = c;
        _ = y5; // zero: p[4..6] < 2^130, so p[4..6]·NC < 2^259
        return ReduceOnce(s0, s1, s2, s3, top);
    }

    /// <summary>a^−1 mod n by the variable-time binary algorithm: for public values, or secrets under blinding.</summary>
    public static Scalar InverseVar(in Scalar a)
    {
        BinaryInverse.Invert(a.L0, a.L1, a.L2, a.L3, N0, N1, N2, N3, out var r0, out var r1, out var r2, out var r3);
        return new(r0, r1, r2, r3);
    }

    /// <summary>
    /// a^−1 mod n for a secret a (the signing nonce) as b·inv(a·b) with a fresh random b ∈ [1, n): the variable-time
    /// algorithm only sees the uniformly distributed a·b, so its timing says nothing about a.
    /// </summary>
    public static Scalar InverseBlinded(in Scalar a)
    {
        Span<byte> random = stackalloc byte[32];
        Scalar b;
        bool belowN;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            _ = TryRead(random, out b, out belowN);
        }
        while (!belowN || b.IsZero);

        random.Clear();
        return Mul(InverseVar(Mul(a, b)), b);
    }

    /// <summary>a^(n−2) = a^−1 mod n (0 maps to 0), 4-bit fixed window over the public exponent.</summary>
    public static Scalar Inverse(in Scalar a)
    {
        Span<Scalar> table = stackalloc Scalar[16];
        table[0] = One;
        table[1] = a;
        for (var i = 2; i < 16; i++)
        {
            table[i] = Mul(table[i - 1], a);
        }

        ReadOnlySpan<ulong> e = [N0 - 2, N1, N2, N3];
        var r = One;
        for (var limb = 3; limb >= 0; limb--)
        {
            for (var shift = 60; shift >= 0; shift -= 4)
            {
                r = Sqr(Sqr(Sqr(Sqr(r))));
                var nibble = (int)((e[limb] >> shift) & 0xF);

                // The exponent is public, so indexing the table by its digits leaks nothing about a.
                r = Mul(r, table[nibble]);
            }
        }

        return r;
    }

    public static bool Equal(in Scalar a, in Scalar b) =>
        ((a.L0 ^ b.L0) | (a.L1 ^ b.L1) | (a.L2 ^ b.L2) | (a.L3 ^ b.L3)) == 0;
}
