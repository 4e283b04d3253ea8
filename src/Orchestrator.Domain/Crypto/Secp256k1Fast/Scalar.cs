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

    public static Scalar Mul(in Scalar a, in Scalar b)
    {
        Wide.Mul(a.L0, a.L1, a.L2, a.L3, b.L0, b.L1, b.L2, b.L3,
            out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
        return Reduce512(r0, r1, r2, r3, r4, r5, r6, r7);
    }

    public static Scalar Sqr(in Scalar a)
    {
        Wide.Sqr(a.L0, a.L1, a.L2, a.L3,
            out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
        return Reduce512(r0, r1, r2, r3, r4, r5, r6, r7);
    }

    /// <summary>Reduces m = m0..m7 (512 bits) mod n.</summary>
    private static Scalar Reduce512(ulong m0, ulong m1, ulong m2, ulong m3, ulong m4, ulong m5, ulong m6, ulong m7)
    {
        // p = m[0..3] + m[4..7]·NC, NC = Nc0 + Nc1·2^64 + 2^128: at most 386 bits, limbs p0..p6.
        ulong c0 = m0, c1 = 0, c2 = 0;
        Wide.MulAcc(m4, Nc0, ref c0, ref c1, ref c2);
        var p0 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(m1, ref c0, ref c1, ref c2);
        Wide.MulAcc(m5, Nc0, ref c0, ref c1, ref c2);
        Wide.MulAcc(m4, Nc1, ref c0, ref c1, ref c2);
        var p1 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(m2, ref c0, ref c1, ref c2);
        Wide.MulAcc(m6, Nc0, ref c0, ref c1, ref c2);
        Wide.MulAcc(m5, Nc1, ref c0, ref c1, ref c2);
        Wide.Acc(m4, ref c0, ref c1, ref c2);
        var p2 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(m3, ref c0, ref c1, ref c2);
        Wide.MulAcc(m7, Nc0, ref c0, ref c1, ref c2);
        Wide.MulAcc(m6, Nc1, ref c0, ref c1, ref c2);
        Wide.Acc(m5, ref c0, ref c1, ref c2);
        var p3 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.MulAcc(m7, Nc1, ref c0, ref c1, ref c2);
        Wide.Acc(m6, ref c0, ref c1, ref c2);
        var p4 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(m7, ref c0, ref c1, ref c2);
        var p5 = Wide.Shift(ref c0, ref c1, ref c2);
        var p6 = c0; // ≤ 3

        // q = p[0..3] + p[4..6]·NC: at most 260 bits, limbs q0..q4.
        c0 = p0;
        c1 = 0;
        c2 = 0;
        Wide.MulAcc(p4, Nc0, ref c0, ref c1, ref c2);
        var q0 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(p1, ref c0, ref c1, ref c2);
        Wide.MulAcc(p5, Nc0, ref c0, ref c1, ref c2);
        Wide.MulAcc(p4, Nc1, ref c0, ref c1, ref c2);
        var q1 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(p2, ref c0, ref c1, ref c2);
        Wide.MulAcc(p6, Nc0, ref c0, ref c1, ref c2);
        Wide.MulAcc(p5, Nc1, ref c0, ref c1, ref c2);
        Wide.Acc(p4, ref c0, ref c1, ref c2);
        var q2 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(p3, ref c0, ref c1, ref c2);
        Wide.MulAcc(p6, Nc1, ref c0, ref c1, ref c2);
        Wide.Acc(p5, ref c0, ref c1, ref c2);
        var q3 = Wide.Shift(ref c0, ref c1, ref c2);
        Wide.Acc(p6, ref c0, ref c1, ref c2);
        var q4 = c0; // small (< 2^4)

        // r = q[0..3] + q4·NC < 2^256 + 2^133, then one conditional subtraction of n.
        var h = Math.BigMul(q4, Nc0, out var lo);
        var r0 = AddCarry(q0, lo, 0, out var c);
        var h1 = Math.BigMul(q4, Nc1, out var lo1);
        var r1 = AddCarry(q1, lo1, c, out c);
        var r1b = AddCarry(r1, h, 0, out var cb);
        var r2 = AddCarry(q2, h1 + q4, c, out c); // h1 + q4 < 2^5, no wrap
        r2 = AddCarry(r2, 0, cb, out var cc);
        c |= cc;
        var r3 = AddCarry(q3, 0, c, out c);
        return ReduceOnce(r0, r1b, r2, r3, c);
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
