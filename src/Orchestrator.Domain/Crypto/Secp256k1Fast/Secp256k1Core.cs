namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// The secp256k1 operations Ethereum needs, on the in-house arithmetic. Inputs are already validated by the caller
/// (<see cref="Secp256k1"/>), which also owns the RFC 6979 nonce.
/// <para>
/// Constant-time (in the source; the JIT gives no formal guarantee): <see cref="TrySignWithNonce"/> and
/// <see cref="PublicKey"/> — fixed-base comb with masked table scans, complete formulas, branch-free field and
/// scalar arithmetic, and inversions (of the nonce mod n and of kG's Z mod p) done by a variable-time algorithm on
/// randomly blinded inputs, so their timing is independent of the secret. Not constant-time: the final low-s comparison and recovery-id
/// arithmetic (on public outputs), the RFC 6979 nonce derivation (BouncyCastle's BigInteger-based
/// HMacDsaKCalculator), and everything in recovery (public inputs only).
/// </para>
/// </summary>
internal static class Secp256k1Core
{
    /// <summary>
    /// One ECDSA attempt with nonce k ∈ [1, n): r = x(kG) mod n, s = k⁻¹(e + d·r), low-s normalised, recovery id
    /// = y(kG) parity, flipped when s is negated. False when r or s is 0 (the caller draws the next nonce).
    /// </summary>
    public static bool TrySignWithNonce(in Scalar d, in Scalar e, in Scalar k, out Scalar r, out Scalar s, out byte recoveryId)
    {
        s = default;
        recoveryId = 0;
        var rPoint = Multiplier.MulG(k);
        _ = rPoint.TryToAffine(out var ra, secret: true); // k ∈ [1, n) so kG is never infinity

        Span<byte> xBytes = stackalloc byte[32];
        ra.X.WriteBytes(xBytes);
        r = Scalar.FromBytesReduce(xBytes);
        if (r.IsZero)
        {
            return false;
        }

        s = Scalar.Mul(Scalar.InverseBlinded(k), Scalar.Add(e, Scalar.Mul(d, r)));
        if (s.IsZero)
        {
            return false;
        }

        recoveryId = (byte)(ra.Y.IsOdd ? 1 : 0);
        if (s.IsHigh)
        {
            s = Scalar.Negate(s);
            recoveryId ^= 1;
        }

        return true;
    }

    /// <summary>The 64-byte X ‖ Y public key of d ∈ [1, n).</summary>
    public static void PublicKey(in Scalar d, Span<byte> xy64)
    {
        _ = Multiplier.MulG(d).TryToAffine(out var q, secret: true);
        q.X.WriteBytes(xy64[..32]);
        q.Y.WriteBytes(xy64[32..64]);
    }

    /// <summary>
    /// SEC 1 §4.1.6 public-key recovery for r, s ∈ [1, n) and recovery id 0/1: R = (r, y with the id's parity),
    /// Q = r⁻¹(s·R − e·G). False when r is not the x of a curve point or Q is infinity.
    /// </summary>
    public static bool TryRecover(ReadOnlySpan<byte> hash32, in Scalar r, in Scalar s, int recoveryId, Span<byte> xy64)
    {
        // x = r (r < n < p, so it is a canonical field element; x = r + n would exceed p).
        Span<byte> rb = stackalloc byte[32];
        r.WriteBytes(rb);
        var x = FieldElement.FromBytes(rb);
        var rhs = FieldElement.Add(FieldElement.Mul(FieldElement.Sqr(x), x), new FieldElement(7, 0, 0, 0));
        if (!FieldElement.TrySqrt(rhs, out var y))
        {
            return false;
        }

        if (y.IsOdd != (recoveryId == 1))
        {
            y = FieldElement.Negate(y);
        }

        var e = Scalar.FromBytesReduce(hash32);
        var rInv = Scalar.InverseVar(r);
        var u1 = Scalar.Negate(Scalar.Mul(e, rInv));
        var u2 = Scalar.Mul(s, rInv);
        var q = Multiplier.MulAddG(u1, new AffinePoint(x, y), u2);
        if (!q.TryToAffine(out var qa, secret: false))
        {
            return false;
        }

        qa.X.WriteBytes(xy64[..32]);
        qa.Y.WriteBytes(xy64[32..64]);
        return true;
    }
}
