using System.Runtime.CompilerServices;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// 256×256→512-bit products shared by the field (mod p) and scalar (mod n) arithmetic. Everything is
/// straight-line code on <see cref="Math.BigMul(ulong, ulong, out ulong)"/> (mulx on x64) with carries computed by
/// comparisons, which the JIT turns into setcc/adc-style code rather than branches.
/// </summary>
internal static class Wide
{
    /// <summary>(c2:c1:c0) += a·b. The caller guarantees the 192-bit accumulator does not overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MulAcc(ulong a, ulong b, ref ulong c0, ref ulong c1, ref ulong c2)
    {
        var hi = Math.BigMul(a, b, out var lo);
        c0 += lo;
        hi += c0 < lo ? 1UL : 0UL; // hi ≤ 2^64 − 2, so this cannot wrap
        c1 += hi;
        c2 += c1 < hi ? 1UL : 0UL;
    }

    /// <summary>(c2:c1:c0) += 2·a·b (the off-diagonal terms of a square).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MulAcc2(ulong a, ulong b, ref ulong c0, ref ulong c1, ref ulong c2)
    {
        var hi = Math.BigMul(a, b, out var lo);
        c2 += hi >> 63;
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        c0 += lo;
        var carry = c0 < lo ? 1UL : 0UL;
        c1 += hi;
        c2 += c1 < hi ? 1UL : 0UL;
        c1 += carry;
        c2 += c1 < carry ? 1UL : 0UL;
    }

    /// <summary>(c2:c1:c0) += a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Acc(ulong a, ref ulong c0, ref ulong c1, ref ulong c2)
    {
        c0 += a;
        var carry = c0 < a ? 1UL : 0UL;
        c1 += carry;
        c2 += c1 < carry ? 1UL : 0UL;
    }

    /// <summary>Shifts the accumulator down one limb, returning the limb shifted out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Shift(ref ulong c0, ref ulong c1, ref ulong c2)
    {
        var r = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
        return r;
    }

    /// <summary>Full 512-bit product a·b, little-endian limbs r0..r7 (product scanning).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mul(
        ulong a0, ulong a1, ulong a2, ulong a3, ulong b0, ulong b1, ulong b2, ulong b3,
        out ulong r0, out ulong r1, out ulong r2, out ulong r3, out ulong r4, out ulong r5, out ulong r6, out ulong r7)
    {
        ulong c0 = 0, c1 = 0, c2 = 0;
        MulAcc(a0, b0, ref c0, ref c1, ref c2);
        r0 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a0, b1, ref c0, ref c1, ref c2);
        MulAcc(a1, b0, ref c0, ref c1, ref c2);
        r1 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a0, b2, ref c0, ref c1, ref c2);
        MulAcc(a1, b1, ref c0, ref c1, ref c2);
        MulAcc(a2, b0, ref c0, ref c1, ref c2);
        r2 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a0, b3, ref c0, ref c1, ref c2);
        MulAcc(a1, b2, ref c0, ref c1, ref c2);
        MulAcc(a2, b1, ref c0, ref c1, ref c2);
        MulAcc(a3, b0, ref c0, ref c1, ref c2);
        r3 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a1, b3, ref c0, ref c1, ref c2);
        MulAcc(a2, b2, ref c0, ref c1, ref c2);
        MulAcc(a3, b1, ref c0, ref c1, ref c2);
        r4 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a2, b3, ref c0, ref c1, ref c2);
        MulAcc(a3, b2, ref c0, ref c1, ref c2);
        r5 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a3, b3, ref c0, ref c1, ref c2);
        r6 = c0;
        r7 = c1;
    }

    /// <summary>Full 512-bit square a², 10 products instead of 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sqr(
        ulong a0, ulong a1, ulong a2, ulong a3,
        out ulong r0, out ulong r1, out ulong r2, out ulong r3, out ulong r4, out ulong r5, out ulong r6, out ulong r7)
    {
        ulong c0 = 0, c1 = 0, c2 = 0;
        MulAcc(a0, a0, ref c0, ref c1, ref c2);
        r0 = Shift(ref c0, ref c1, ref c2);
        MulAcc2(a0, a1, ref c0, ref c1, ref c2);
        r1 = Shift(ref c0, ref c1, ref c2);
        MulAcc2(a0, a2, ref c0, ref c1, ref c2);
        MulAcc(a1, a1, ref c0, ref c1, ref c2);
        r2 = Shift(ref c0, ref c1, ref c2);
        MulAcc2(a0, a3, ref c0, ref c1, ref c2);
        MulAcc2(a1, a2, ref c0, ref c1, ref c2);
        r3 = Shift(ref c0, ref c1, ref c2);
        MulAcc2(a1, a3, ref c0, ref c1, ref c2);
        MulAcc(a2, a2, ref c0, ref c1, ref c2);
        r4 = Shift(ref c0, ref c1, ref c2);
        MulAcc2(a2, a3, ref c0, ref c1, ref c2);
        r5 = Shift(ref c0, ref c1, ref c2);
        MulAcc(a3, a3, ref c0, ref c1, ref c2);
        r6 = c0;
        r7 = c1;
    }
}
