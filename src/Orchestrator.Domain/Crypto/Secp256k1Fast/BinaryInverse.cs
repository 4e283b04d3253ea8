using System.Runtime.CompilerServices;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// Modular inversion by the binary extended Euclidean algorithm (Guide to Elliptic Curve Cryptography, algorithm
/// 2.22) for an odd 256-bit modulus. It is several times faster than Fermat's exponentiation here but its running
/// time depends on the input, so it is only applied to public values or to secrets multiplied by a fresh random
/// blinding factor (inv(a) = b·inv(a·b)), where the time depends only on the uniformly random product a·b.
/// </summary>
internal static class BinaryInverse
{
    /// <summary>a^−1 mod m for m odd and a in [0, m); 0 maps to 0.</summary>
    public static void Invert(
        ulong a0, ulong a1, ulong a2, ulong a3, ulong m0, ulong m1, ulong m2, ulong m3,
        out ulong r0, out ulong r1, out ulong r2, out ulong r3)
    {
        if ((a0 | a1 | a2 | a3) == 0)
        {
            r0 = r1 = r2 = r3 = 0;
            return;
        }

        ulong u0 = a0, u1 = a1, u2 = a2, u3 = a3;
        ulong v0 = m0, v1 = m1, v2 = m2, v3 = m3;
        ulong x0 = 1, x1 = 0, x2 = 0, x3 = 0; // invariant: x·a ≡ u (mod m)
        ulong y0 = 0, y1 = 0, y2 = 0, y3 = 0; // invariant: y·a ≡ v (mod m)
        while (!IsOne(u0, u1, u2, u3) && !IsOne(v0, v1, v2, v3))
        {
            while ((u0 & 1) == 0)
            {
                Shr1(ref u0, ref u1, ref u2, ref u3, 0);
                Halve(ref x0, ref x1, ref x2, ref x3, m0, m1, m2, m3);
            }

            while ((v0 & 1) == 0)
            {
                Shr1(ref v0, ref v1, ref v2, ref v3, 0);
                Halve(ref y0, ref y1, ref y2, ref y3, m0, m1, m2, m3);
            }

            if (Geq(u0, u1, u2, u3, v0, v1, v2, v3))
            {
                Sub(ref u0, ref u1, ref u2, ref u3, v0, v1, v2, v3);
                SubMod(ref x0, ref x1, ref x2, ref x3, y0, y1, y2, y3, m0, m1, m2, m3);
            }
            else
            {
                Sub(ref v0, ref v1, ref v2, ref v3, u0, u1, u2, u3);
                SubMod(ref y0, ref y1, ref y2, ref y3, x0, x1, x2, x3, m0, m1, m2, m3);
            }
        }

        if (IsOne(u0, u1, u2, u3))
        {
            (r0, r1, r2, r3) = (x0, x1, x2, x3);
        }
        else
        {
            (r0, r1, r2, r3) = (y0, y1, y2, y3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsOne(ulong a0, ulong a1, ulong a2, ulong a3) => ((a0 ^ 1) | a1 | a2 | a3) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Shr1(ref ulong a0, ref ulong a1, ref ulong a2, ref ulong a3, ulong topBit)
    {
        a0 = (a0 >> 1) | (a1 << 63);
        a1 = (a1 >> 1) | (a2 << 63);
        a2 = (a2 >> 1) | (a3 << 63);
        a3 = (a3 >> 1) | (topBit << 63);
    }

    /// <summary>x/2 mod m: x if even, else (x + m)/2 with the 257th bit shifted back in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Halve(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3, ulong m0, ulong m1, ulong m2, ulong m3)
    {
        ulong carry = 0;
        if ((x0 & 1) != 0)
        {
            x0 += m0;
            var c = x0 < m0 ? 1UL : 0UL;
            x1 += c;
            c = x1 < c ? 1UL : 0UL;
            x1 += m1;
            c += x1 < m1 ? 1UL : 0UL;
            x2 += c;
            c = x2 < c ? 1UL : 0UL;
            x2 += m2;
            c += x2 < m2 ? 1UL : 0UL;
            x3 += c;
            c = x3 < c ? 1UL : 0UL;
            x3 += m3;
            c += x3 < m3 ? 1UL : 0UL;
            carry = c;
        }

        Shr1(ref x0, ref x1, ref x2, ref x3, carry);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Geq(ulong a0, ulong a1, ulong a2, ulong a3, ulong b0, ulong b1, ulong b2, ulong b3)
    {
        if (a3 != b3)
        {
            return a3 > b3;
        }

        if (a2 != b2)
        {
            return a2 > b2;
        }

        if (a1 != b1)
        {
            return a1 > b1;
        }

        return a0 >= b0;
    }

    /// <summary>a −= b, returning the borrow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Sub(ref ulong a0, ref ulong a1, ref ulong a2, ref ulong a3, ulong b0, ulong b1, ulong b2, ulong b3)
    {
        var borrow = a0 < b0 ? 1UL : 0UL;
        a0 -= b0;
        var t = a1 - b1;
        var bo = a1 < b1 ? 1UL : 0UL;
        bo |= t < borrow ? 1UL : 0UL;
        a1 = t - borrow;
        borrow = bo;
        t = a2 - b2;
        bo = a2 < b2 ? 1UL : 0UL;
        bo |= t < borrow ? 1UL : 0UL;
        a2 = t - borrow;
        borrow = bo;
        t = a3 - b3;
        bo = a3 < b3 ? 1UL : 0UL;
        bo |= t < borrow ? 1UL : 0UL;
        a3 = t - borrow;
        return bo;
    }

    /// <summary>x = x − y mod m for x, y in [0, m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubMod(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3, ulong y0, ulong y1, ulong y2, ulong y3, ulong m0, ulong m1, ulong m2, ulong m3)
    {
        if (Sub(ref x0, ref x1, ref x2, ref x3, y0, y1, y2, y3) != 0)
        {
            // Wrapped below zero: adding m brings it back into [0, m) (the carry out of 2^256 is dropped).
            x0 += m0;
            var c = x0 < m0 ? 1UL : 0UL;
            x1 += c;
            c = x1 < c ? 1UL : 0UL;
            x1 += m1;
            c += x1 < m1 ? 1UL : 0UL;
            x2 += c;
            c = x2 < c ? 1UL : 0UL;
            x2 += m2;
            c += x2 < m2 ? 1UL : 0UL;
            x3 += c + m3;
        }
    }
}
