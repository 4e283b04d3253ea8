using System.Security.Cryptography;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// RFC 6979 deterministic nonces with HMAC-SHA256 for secp256k1 (qlen = hlen = 256), reproducing BouncyCastle's
/// HMacDsaKCalculator step for step, including its state between calls: a candidate outside [1, n) is retried with
/// K = HMAC_K(V ‖ 0x00), V = HMAC_K(V) inside one call, while a further call (the signer's retry after r = 0 or
/// s = 0) simply continues with V = HMAC_K(V). It uses the platform HMAC (one-shot, no allocation per step),
/// about 3× cheaper than BouncyCastle's managed digest.
/// </summary>
internal ref struct Rfc6979
{
    private readonly Span<byte> _k;
    private readonly Span<byte> _v;

    /// <param name="k">32 bytes of scratch for K.</param>
    /// <param name="v">32 bytes of scratch for V.</param>
    /// <param name="privateKey">d ∈ [1, n) as 32 big-endian bytes (int2octets).</param>
    /// <param name="hash32">The message hash; bits2octets reduces it mod n.</param>
    public Rfc6979(Span<byte> k, Span<byte> v, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> hash32)
    {
        _k = k;
        _v = v;
        Span<byte> h1 = stackalloc byte[32];
        Scalar.FromBytesReduce(hash32).WriteBytes(h1);

        // buffer = V ‖ marker ‖ int2octets(d) ‖ bits2octets(h)
        Span<byte> buffer = stackalloc byte[32 + 1 + 32 + 32];
        _v.Fill(0x01);
        _k.Clear();
        privateKey.CopyTo(buffer[33..65]);
        h1.CopyTo(buffer[65..]);

        _v.CopyTo(buffer);
        buffer[32] = 0x00;
        HMACSHA256.HashData(_k, buffer, _k);
        HMACSHA256.HashData(_k, _v, _v);

        _v.CopyTo(buffer);
        buffer[32] = 0x01;
        HMACSHA256.HashData(_k, buffer, _k);
        HMACSHA256.HashData(_k, _v, _v);
        buffer.Clear();
    }

    /// <summary>The next nonce k ∈ [1, n).</summary>
    public readonly Scalar NextK()
    {
        Span<byte> buffer = stackalloc byte[33];
        while (true)
        {
            HMACSHA256.HashData(_k, _v, _v);
            _ = Scalar.TryRead(_v, out var k, out var belowN);
            if (belowN && !k.IsZero)
            {
                return k;
            }

            _v.CopyTo(buffer);
            buffer[32] = 0x00;
            HMACSHA256.HashData(_k, buffer, _k);
            HMACSHA256.HashData(_k, _v, _v);
        }
    }
}
