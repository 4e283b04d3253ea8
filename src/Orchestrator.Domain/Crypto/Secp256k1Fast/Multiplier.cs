using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// Scalar multiplication.
/// <list type="bullet">
/// <item><see cref="MulG"/> (signing nonce, public key from private key) is written to be constant-time in the
/// scalar: a fixed 64-step comb over 4-bit digits, each step reading the whole 16-entry row of the table with masks
/// (no secret-dependent index or branch), one complete mixed addition per step whose result is kept or discarded
/// with a mask when the digit is 0; the caller normalises with a blinded inversion. (The .NET JIT gives no formal guarantee, but
/// nothing in the source branches on or indexes by the secret.)</item>
/// <item><see cref="MulAddG"/> (recovery) is variable-time and only ever sees public data: GLV split of the
/// variable-base scalar, wNAF digits, table lookups indexed by the digits.</item>
/// </list>
/// </summary>
internal static class Multiplier
{
    private const int CombBits = 6;             // signed 6-bit digits in [−32, 31]
    private const int CombWindows = 43;         // 43 × 6 = 258 bits: room for the recoding's final carry
    private const int CombRow = 32;             // entries per window: |digit| = 1..32
    private const int LimbsPerPoint = 8;        // x and y, 4 limbs each
    private const int GWindow = 8;              // wNAF width for the fixed G tables in recovery (64 odd multiples)
    private const int RWindow = 5;              // wNAF width for the variable point (8 odd multiples)

    /// <summary>Built on first use (the CLR runs a type initializer once, thread-safely).</summary>
    private static class Tables
    {
        /// <summary>Comb[w][j] = (j + 1)·64^w·G as affine limbs (x then y, 4 limbs each), flat, j = 0..31.</summary>
        public static readonly ulong[] Comb = BuildComb();

        /// <summary>Odd multiples 1G, 3G, …, 127G, and the same for 2^128·G, for the split u1 in recovery.</summary>
        public static readonly AffinePoint[] GOdd = OddMultiples(Curve.G, 1 << (GWindow - 2));

        public static readonly AffinePoint[] HOdd = OddMultiples(Times2Pow(Curve.G, 128), 1 << (GWindow - 2));

        private static ulong[] BuildComb()
        {
            var points = new ProjectivePoint[CombWindows * CombRow];
            var baseP = ProjectivePoint.FromAffine(Curve.G);
            for (var w = 0; w < CombWindows; w++)
            {
                var acc = baseP;
                for (var j = 0; j < CombRow; j++)
                {
                    points[(w * CombRow) + j] = acc;
                    acc = ProjectivePoint.Add(acc, baseP);
                }

                for (var d = 0; d < CombBits; d++)
                {
                    baseP = ProjectivePoint.Double(baseP);
                }
            }

            var affine = BatchToAffine(points);
            var flat = new ulong[affine.Length * LimbsPerPoint];
            for (var i = 0; i < affine.Length; i++)
            {
                var a = affine[i];
                var x = FieldElement.Normalize(a.X);
                var y = FieldElement.Normalize(a.Y);
                var o = i * LimbsPerPoint;
                flat[o] = x.L0;
                flat[o + 1] = x.L1;
                flat[o + 2] = x.L2;
                flat[o + 3] = x.L3;
                flat[o + 4] = y.L0;
                flat[o + 5] = y.L1;
                flat[o + 6] = y.L2;
                flat[o + 7] = y.L3;
            }

            return flat;
        }

        private static AffinePoint Times2Pow(in AffinePoint a, int k)
        {
            var p = ProjectivePoint.FromAffine(a);
            for (var i = 0; i < k; i++)
            {
                p = ProjectivePoint.Double(p);
            }

            return BatchToAffine([p])[0];
        }

        private static AffinePoint[] OddMultiples(in AffinePoint a, int count)
        {
            var points = new ProjectivePoint[count];
            var p = ProjectivePoint.FromAffine(a);
            var twice = ProjectivePoint.Double(p);
            points[0] = p;
            for (var i = 1; i < count; i++)
            {
                points[i] = ProjectivePoint.Add(points[i - 1], twice);
            }

            return BatchToAffine(points);
        }
    }

    /// <summary>Forces the tables to be built (e.g. at start-up, so the first request does not pay ~10 ms).</summary>
    public static void Warm() => _ = Tables.Comb.Length + Tables.GOdd.Length + Tables.HOdd.Length;

    /// <summary>
    /// Affine forms of points that are not infinity, with one inversion for all (Montgomery's trick). Only used on
    /// public points (table building).
    /// </summary>
    internal static AffinePoint[] BatchToAffine(ReadOnlySpan<ProjectivePoint> points)
    {
        var prefix = new FieldElement[points.Length];
        var acc = FieldElement.One;
        for (var i = 0; i < points.Length; i++)
        {
            Debug.Assert(!points[i].IsInfinity, "batch normalisation needs finite points");
            prefix[i] = acc;
            acc = FieldElement.Mul(acc, points[i].Z);
        }

        var inv = FieldElement.Inverse(acc);
        var result = new AffinePoint[points.Length];
        for (var i = points.Length - 1; i >= 0; i--)
        {
            var zInv = FieldElement.Mul(inv, prefix[i]);
            inv = FieldElement.Mul(inv, points[i].Z);
            result[i] = new AffinePoint(
                FieldElement.Normalize(FieldElement.Mul(points[i].X, zInv)),
                FieldElement.Normalize(FieldElement.Mul(points[i].Y, zInv)));
        }

        return result;
    }

    /// <summary>k·G for a secret k, constant-time (see the type remarks). k = 0 gives infinity.</summary>
    public static ProjectivePoint MulG(in Scalar k)
    {
        ReadOnlySpan<ulong> table = Tables.Comb;
        var acc = ProjectivePoint.Infinity;
        ulong carry = 0;
        for (var w = 0; w < CombWindows; w++)
        {
            // Six bits of k starting at bit 6w (they may straddle two limbs), plus the carry from below.
            var bit = w * CombBits;
            var v = (Bits(k, bit) & 0x3F) + carry;

            // v ∈ [0, 64]: digits ≥ 32 become v − 64 with a carry into the next window.
            carry = (v + 32) >> 6;
            var digit = (long)v - (long)(carry << 6);

            // |digit| and its sign without branches.
            var signMask = (ulong)(digit >> 63);
            var abs = (uint)(((ulong)digit ^ signMask) - signMask);
            var entry = ScanRow(table.Slice(w * CombRow * LimbsPerPoint, CombRow * LimbsPerPoint), (abs - 1) & 0x7F);
            entry.Y = FieldElement.Select(signMask, entry.Y, FieldElement.Negate(entry.Y));
            var sum = ProjectivePoint.AddMixed(acc, entry);

            // Keep the sum unless the digit is 0 (then the scan matched nothing and the "entry" is (0, 0)).
            var keep = 0UL - (ulong)((abs | (0u - abs)) >> 31);
            acc = ProjectivePoint.Select(keep, acc, sum);
        }

        return acc;
    }

    /// <summary>The 64 bits of k starting at <paramref name="bit"/> (zeros past the top); public positions only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits(in Scalar k, int bit)
    {
        var limb = bit >> 6;
        var shift = bit & 63;
        var lo = Limb(k, limb) >> shift;
        var hi = shift == 0 ? 0 : Limb(k, limb + 1) << (64 - shift);
        return lo | hi;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Limb(in Scalar k, int i) => i switch
    {
        0 => k.L0,
        1 => k.L1,
        2 => k.L2,
        3 => k.L3,
        _ => 0,
    };

    /// <summary>
    /// Reads entry <paramref name="index"/> of a row by touching every entry under a mask; an index past the row
    /// (digit 0 maps to 127) yields (0, 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static AffinePoint ScanRow(ReadOnlySpan<ulong> row, uint index)
    {
        ref var r = ref MemoryMarshal.GetReference(row);
        ulong x0 = 0, x1 = 0, x2 = 0, x3 = 0, y0 = 0, y1 = 0, y2 = 0, y3 = 0;
        for (var j = 0; j < CombRow; j++)
        {
            // (j ^ index) − 1 has its top bit set only when j == index (both are below 128).
            var m = 0UL - (ulong)((((uint)j ^ index) - 1u) >> 31);
            ref var e = ref Unsafe.Add(ref r, j * LimbsPerPoint);
            x0 |= e & m;
            x1 |= Unsafe.Add(ref e, 1) & m;
            x2 |= Unsafe.Add(ref e, 2) & m;
            x3 |= Unsafe.Add(ref e, 3) & m;
            y0 |= Unsafe.Add(ref e, 4) & m;
            y1 |= Unsafe.Add(ref e, 5) & m;
            y2 |= Unsafe.Add(ref e, 6) & m;
            y3 |= Unsafe.Add(ref e, 7) & m;
        }

        return new AffinePoint(new FieldElement(x0, x1, x2, x3), new FieldElement(y0, y1, y2, y3));
    }

    /// <summary>
    /// Width-w NAF of a non-negative value below 2^255 (limbs l0..l3): digits are 0 or odd in (−2^(w−1), 2^(w−1)),
    /// least significant first. Returns the number of digits. Variable-time.
    /// </summary>
    internal static int Wnaf(Span<sbyte> digits, Scalar value, int w)
    {
        ulong l0 = value.L0, l1 = value.L1, l2 = value.L2, l3 = value.L3;
        Debug.Assert(l3 >> 63 == 0, "wNAF input must be below 2^255");
        var full = 1 << w;
        var half = 1 << (w - 1);
        var len = 0;
        var i = 0;
        while ((l0 | l1 | l2 | l3) != 0)
        {
            sbyte d = 0;
            if ((l0 & 1) != 0)
            {
                var v = (int)(l0 & (ulong)(full - 1));
                if (v >= half)
                {
                    v -= full;
                }

                d = (sbyte)v;
                if (v > 0)
                {
                    // Subtract v (only clears low bits: no borrow beyond limb 0).
                    l0 -= (ulong)v;
                }
                else
                {
                    // Add −v, carrying upwards.
                    var add = (ulong)-v;
                    var s = l0 + add;
                    var c = s < l0 ? 1UL : 0UL;
                    l0 = s;
                    l1 += c;
                    c = c != 0 && l1 == 0 ? 1UL : 0UL;
                    l2 += c;
                    c = c != 0 && l2 == 0 ? 1UL : 0UL;
                    l3 += c;
                }
            }

            digits[i] = d;
            if (d != 0)
            {
                len = i + 1;
            }

            i++;
            l0 = (l0 >> 1) | (l1 << 63);
            l1 = (l1 >> 1) | (l2 << 63);
            l2 = (l2 >> 1) | (l3 << 63);
            l3 >>= 1;
        }

        return len;
    }

    /// <summary>
    /// u1·G + u2·R for public u1, u2 and R (recovery). GLV splits u2 into two ~128-bit halves on R and λR, and u1 is
    /// split into its low and high 128 bits on G and 2^128·G, so the loop needs ~129 doublings instead of 256.
    /// </summary>
    public static ProjectivePoint MulAddG(in Scalar u1, in AffinePoint r, in Scalar u2)
    {
        Curve.SplitLambda(u2, out var k1, out var neg1, out var k2, out var neg2);

        Span<sbyte> n1 = stackalloc sbyte[260];
        Span<sbyte> n2 = stackalloc sbyte[260];
        Span<sbyte> n3 = stackalloc sbyte[260];
        Span<sbyte> n4 = stackalloc sbyte[260];
        var len1 = Wnaf(n1, k1, RWindow);
        var len2 = Wnaf(n2, k2, RWindow);
        var len3 = Wnaf(n3, new Scalar(u1.L0, u1.L1, 0, 0), GWindow);
        var len4 = Wnaf(n4, new Scalar(u1.L2, u1.L3, 0, 0), GWindow);

        // Odd multiples of R (projective), and of λR = (β·X : Y : Z) for free.
        Span<ProjectivePoint> tr = stackalloc ProjectivePoint[1 << (RWindow - 2)];
        Span<ProjectivePoint> tl = stackalloc ProjectivePoint[1 << (RWindow - 2)];
        var rp = ProjectivePoint.FromAffine(r);
        var r2 = ProjectivePoint.Double(rp);
        tr[0] = rp;
        for (var i = 1; i < tr.Length; i++)
        {
            tr[i] = ProjectivePoint.Add(tr[i - 1], r2);
        }

        for (var i = 0; i < tr.Length; i++)
        {
            tl[i] = new ProjectivePoint(FieldElement.Mul(tr[i].X, Curve.Beta), tr[i].Y, tr[i].Z);
        }

        var gOdd = Tables.GOdd;
        var hOdd = Tables.HOdd;
        var len = Math.Max(Math.Max(len1, len2), Math.Max(len3, len4));
        var acc = ProjectivePoint.Infinity;
        var started = false;
        for (var i = len - 1; i >= 0; i--)
        {
            if (started)
            {
                acc = ProjectivePoint.Double(acc);
            }

            int d;
            if ((d = n1[i]) != 0)
            {
                var p = tr[Math.Abs(d) >> 1];
                acc = ProjectivePoint.Add(acc, (d < 0) ^ neg1 ? ProjectivePoint.Negate(p) : p);
                started = true;
            }

            if ((d = n2[i]) != 0)
            {
                var p = tl[Math.Abs(d) >> 1];
                acc = ProjectivePoint.Add(acc, (d < 0) ^ neg2 ? ProjectivePoint.Negate(p) : p);
                started = true;
            }

            if ((d = n3[i]) != 0)
            {
                var a = gOdd[Math.Abs(d) >> 1];
                acc = ProjectivePoint.AddMixed(acc, d < 0 ? AffinePoint.Negate(a) : a);
                started = true;
            }

            if ((d = n4[i]) != 0)
            {
                var a = hOdd[Math.Abs(d) >> 1];
                acc = ProjectivePoint.AddMixed(acc, d < 0 ? AffinePoint.Negate(a) : a);
                started = true;
            }
        }

        return acc;
    }
}
