namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>An affine point (x, y) that is never the point at infinity.</summary>
internal struct AffinePoint
{
    public FieldElement X, Y;

    public AffinePoint(in FieldElement x, in FieldElement y)
    {
        X = x;
        Y = y;
    }

    public static AffinePoint Negate(in AffinePoint a) => new(a.X, FieldElement.Negate(a.Y));
}

/// <summary>
/// A point in homogeneous projective coordinates (X : Y : Z), x = X/Z, y = Y/Z; infinity is (0 : 1 : 0).
/// <para>
/// The group law uses the complete formulas of Renes, Costello and Batina ("Complete addition formulas for prime
/// order elliptic curves", 2016), algorithms 7–9 specialised to a = 0, b3 = 3·7 = 21. "Complete" means one
/// straight-line formula is correct for every input pair — doubling, P + (−P), either operand at infinity — so
/// the code has no exceptional-case branches: that is what makes the signing ladder constant-time without point
/// blinding, and it removes the usual source of rare wrong results in the variable-time paths too. The costs
/// (12M, 11M mixed, 6M+2S doubling) are close to Jacobian formulas with case checks.
/// </para>
/// </summary>
internal struct ProjectivePoint
{
    private const uint B3 = 21;

    public FieldElement X, Y, Z;

    public ProjectivePoint(in FieldElement x, in FieldElement y, in FieldElement z)
    {
        X = x;
        Y = y;
        Z = z;
    }

    public static ProjectivePoint Infinity => new(FieldElement.Zero, FieldElement.One, FieldElement.Zero);

    public static ProjectivePoint FromAffine(in AffinePoint a) => new(a.X, a.Y, FieldElement.One);

    public readonly bool IsInfinity => Z.IsZero;

    public static ProjectivePoint Negate(in ProjectivePoint p) => new(p.X, FieldElement.Negate(p.Y), p.Z);

    /// <summary>Constant-time select: mask all ones picks b.</summary>
    public static ProjectivePoint Select(ulong mask, in ProjectivePoint a, in ProjectivePoint b) => new(
        FieldElement.Select(mask, a.X, b.X),
        FieldElement.Select(mask, a.Y, b.Y),
        FieldElement.Select(mask, a.Z, b.Z));

    /// <summary>P + Q, complete (RCB algorithm 7).</summary>
    public static ProjectivePoint Add(in ProjectivePoint p, in ProjectivePoint q)
    {
        var t0 = FieldElement.Mul(p.X, q.X);
        var t1 = FieldElement.Mul(p.Y, q.Y);
        var t2 = FieldElement.Mul(p.Z, q.Z);
        var t3 = FieldElement.Mul(FieldElement.Add(p.X, p.Y), FieldElement.Add(q.X, q.Y));
        t3 = FieldElement.Sub(t3, FieldElement.Add(t0, t1));
        var t4 = FieldElement.Mul(FieldElement.Add(p.Y, p.Z), FieldElement.Add(q.Y, q.Z));
        t4 = FieldElement.Sub(t4, FieldElement.Add(t1, t2));
        var y3 = FieldElement.Mul(FieldElement.Add(p.X, p.Z), FieldElement.Add(q.X, q.Z));
        y3 = FieldElement.Sub(y3, FieldElement.Add(t0, t2));
        t0 = FieldElement.MulSmall(t0, 3);
        t2 = FieldElement.MulSmall(t2, B3);
        var z3 = FieldElement.Add(t1, t2);
        t1 = FieldElement.Sub(t1, t2);
        y3 = FieldElement.MulSmall(y3, B3);
        var x3 = FieldElement.Sub(FieldElement.Mul(t3, t1), FieldElement.Mul(t4, y3));
        y3 = FieldElement.Add(FieldElement.Mul(t1, z3), FieldElement.Mul(y3, t0));
        z3 = FieldElement.Add(FieldElement.Mul(z3, t4), FieldElement.Mul(t0, t3));
        return new(x3, y3, z3);
    }

    /// <summary>P + A for affine A (never infinity), complete in P (RCB algorithm 8).</summary>
    public static ProjectivePoint AddMixed(in ProjectivePoint p, in AffinePoint a)
    {
        var t0 = FieldElement.Mul(p.X, a.X);
        var t1 = FieldElement.Mul(p.Y, a.Y);
        var t3 = FieldElement.Mul(FieldElement.Add(a.X, a.Y), FieldElement.Add(p.X, p.Y));
        t3 = FieldElement.Sub(t3, FieldElement.Add(t0, t1));
        var t4 = FieldElement.Add(FieldElement.Mul(a.Y, p.Z), p.Y);
        var y3 = FieldElement.Add(FieldElement.Mul(a.X, p.Z), p.X);
        t0 = FieldElement.MulSmall(t0, 3);
        var t2 = FieldElement.MulSmall(p.Z, B3);
        var z3 = FieldElement.Add(t1, t2);
        t1 = FieldElement.Sub(t1, t2);
        y3 = FieldElement.MulSmall(y3, B3);
        var x3 = FieldElement.Sub(FieldElement.Mul(t3, t1), FieldElement.Mul(t4, y3));
        y3 = FieldElement.Add(FieldElement.Mul(t1, z3), FieldElement.Mul(y3, t0));
        z3 = FieldElement.Add(FieldElement.Mul(z3, t4), FieldElement.Mul(t0, t3));
        return new(x3, y3, z3);
    }

    /// <summary>2P, complete (RCB algorithm 9).</summary>
    public static ProjectivePoint Double(in ProjectivePoint p)
    {
        var t0 = FieldElement.Sqr(p.Y);
        var z3 = FieldElement.MulSmall(t0, 8);
        var t1 = FieldElement.Mul(p.Y, p.Z);
        var t2 = FieldElement.MulSmall(FieldElement.Sqr(p.Z), B3);
        var x3 = FieldElement.Mul(t2, z3);
        var y3 = FieldElement.Add(t0, t2);
        z3 = FieldElement.Mul(t1, z3);
        t2 = FieldElement.MulSmall(t2, 3);
        t0 = FieldElement.Sub(t0, t2);
        y3 = FieldElement.Add(x3, FieldElement.Mul(t0, y3));
        x3 = FieldElement.MulSmall(FieldElement.Mul(t0, FieldElement.Mul(p.X, p.Y)), 2);
        return new(x3, y3, z3);
    }

    /// <summary>
    /// The affine form; false for infinity. One field inversion: blinded when the point derives from a secret
    /// (<paramref name="secret"/>), plain variable-time otherwise.
    /// </summary>
    public readonly bool TryToAffine(out AffinePoint affine, bool secret)
    {
        var zInv = secret ? FieldElement.InverseBlinded(Z) : FieldElement.InverseVar(Z);
        affine = new AffinePoint(FieldElement.Mul(X, zInv), FieldElement.Mul(Y, zInv));
        return !Z.IsZero;
    }
}
