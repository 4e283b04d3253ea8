namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// The <see cref="Secp256k1"/> operations on the in-house arithmetic, with the same inputs, outputs and failure
/// behaviour as the original BouncyCastle implementation (the tests compare the two case by case).
/// </summary>
internal static class FastSecp256k1
{
    public static Signature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        if (hash32.Length != 32)
        {
            throw new ArgumentException("secp256k1 signs a 32-byte hash", nameof(hash32));
        }

        if (!Scalar.TryRead(privateKey, out var d, out var belowN) || !belowN || d.IsZero)
        {
            throw new ArgumentException("the private key is out of range", nameof(privateKey));
        }

        // RFC 6979 nonces exactly as BouncyCastle's HMacDsaKCalculator derives them.
        Span<byte> dBytes = stackalloc byte[32];
        Span<byte> kState = stackalloc byte[32];
        Span<byte> vState = stackalloc byte[32];
        d.WriteBytes(dBytes);
        var nonces = new Rfc6979(kState, vState, dBytes, hash32);
        var e = Scalar.FromBytesReduce(hash32);
        try
        {
            while (true)
            {
                var k = nonces.NextK();
                if (Secp256k1Core.TrySignWithNonce(d, e, k, out var r, out var s, out var recoveryId))
                {
                    return new Signature(r.ToBytes(), s.ToBytes(), recoveryId);
                }
            }
        }
        finally
        {
            dBytes.Clear();
            kState.Clear();
            vState.Clear();
        }
    }

    public static bool TryRecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature, out byte[] publicKey)
    {
        publicKey = [];
        if (hash32.Length != 32 || signature.RecoveryId > 1)
        {
            return false;
        }

        if (!Scalar.TryRead(signature.R, out var r, out var rBelowN) || !rBelowN || r.IsZero
            || !Scalar.TryRead(signature.S, out var s, out var sBelowN) || !sBelowN || s.IsZero)
        {
            return false;
        }

        var xy = new byte[64];
        if (!Secp256k1Core.TryRecover(hash32, r, s, signature.RecoveryId, xy))
        {
            return false;
        }

        publicKey = xy;
        return true;
    }

    public static byte[] PublicKeyBytes(ReadOnlySpan<byte> privateKey)
    {
        if (!Scalar.TryRead(privateKey, out var d, out var belowN) || !belowN || d.IsZero)
        {
            throw new ArgumentException("the private key is out of range", nameof(privateKey));
        }

        var xy = new byte[64];
        Secp256k1Core.PublicKey(d, xy);
        return xy;
    }
}
