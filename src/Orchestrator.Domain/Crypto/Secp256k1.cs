using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Native = Secp256k1Net.Secp256k1;

namespace Orchestrator.Domain.Crypto;

/// <summary>
/// secp256k1 as Ethereum uses it: deterministic RFC 6979 signatures normalised to low s, with a
/// recovery id, and public-key recovery from (hash, signature).
/// <para>
/// The curve arithmetic is Bitcoin Core's libsecp256k1 (through Secp256k1.Net, which ships the native library for
/// each runtime): constant-time signing, key derivation and ECDH, reviewed and fuzzed by the field. This class keeps
/// the project's contract around it: keys and scalars are big-endian integers of any length (leading zeros allowed),
/// out-of-range inputs raise the same errors as before, and a signature of a hash ≥ n is the one RFC 6979 gives for
/// the hash reduced mod n. tests/Orchestrator.Crypto.Tests compares every operation with BouncyCastle case by case.
/// </para>
/// </summary>
public static class Secp256k1
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");

    /// <summary>The curve order n, big-endian (public data: comparisons against it may branch).</summary>
    private static ReadOnlySpan<byte> OrderBytes =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ];

    /// <summary>⌊n / 2⌋, big-endian: the largest s Ethereum accepts (EIP-2).</summary>
    private static ReadOnlySpan<byte> HalfOrderBytes =>
    [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ];

    // A libsecp256k1 context is not safe to share between threads while it is randomized; one per thread costs a few
    // hundred bytes and is made once (thread-pool threads live long).
    [ThreadStatic]
    private static Native? _context;

    private static Native Context => _context ??= new Native();

    /// <summary>The curve order n.</summary>
    public static Org.BouncyCastle.Math.BigInteger N => Curve.N;

    /// <summary>Signs a 32-byte hash with a 32-byte private key.</summary>
    /// <remarks>RFC 6979 nonce (HMAC-SHA256), low s, recovery id from R's y parity, flipped when s is negated.</remarks>
    public static Signature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        if (hash32.Length != 32)
        {
            throw new ArgumentException("secp256k1 signs a 32-byte hash", nameof(hash32));
        }

        Span<byte> key = stackalloc byte[32];
        Span<byte> signature = stackalloc byte[65];
        try
        {
            ReadPrivateKey(privateKey, key);

            // RFC 6979 feeds bits2octets(h) = h mod n to its HMAC; libsecp256k1 feeds the 32 bytes as given. Reducing
            // first makes the two agree for the rare hash ≥ n (the signature itself only ever uses h mod n).
            Span<byte> hash = stackalloc byte[32];
            hash32.CopyTo(hash);
            ReduceOnce(hash);

            var native = Context;
            if (!native.EcdsaSignRecoverable(signature, hash, key))
            {
                throw new CryptographicException("libsecp256k1 could not sign with this key");
            }

            Span<byte> compact = stackalloc byte[64];
            native.EcdsaRecoverableSignatureSerializeCompact(compact, out var recoveryId, signature);
            return new Signature(compact[..32].ToArray(), compact[32..].ToArray(), (byte)recoveryId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(signature);
        }
    }

    /// <summary>Recovers the signer's address; false when the signature is invalid.</summary>
    public static bool TryRecoverAddress(ReadOnlySpan<byte> hash32, Signature signature, out Address address)
    {
        address = default;
        Span<byte> publicKey = stackalloc byte[64];
        if (!TryRecover(hash32, signature, publicKey))
        {
            return false;
        }

        address = Address.FromPublicKey(publicKey);
        return true;
    }

    /// <summary>Recovers the uncompressed public key (64 bytes X ‖ Y); false when the signature is invalid.</summary>
    public static bool TryRecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature, out byte[] publicKey)
    {
        var xy = new byte[64];
        publicKey = TryRecover(hash32, signature, xy) ? xy : [];
        return publicKey.Length == 64;
    }

    /// <summary>The uncompressed public key (64 bytes X ‖ Y) of a private key.</summary>
    public static byte[] PublicKeyBytes(ReadOnlySpan<byte> privateKey)
    {
        Span<byte> key = stackalloc byte[32];
        try
        {
            ReadPrivateKey(privateKey, key);
            Span<byte> point = stackalloc byte[64];
            var native = Context;
            if (!native.EcPubkeyCreate(point, key))
            {
                throw new ArgumentException("the private key is out of range", nameof(privateKey));
            }

            return Serialize(native, point);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The address of a private key.</summary>
    public static Address AddressOf(ReadOnlySpan<byte> privateKey) => Address.FromPublicKey(PublicKeyBytes(privateKey));

    /// <summary>A fresh random private key.</summary>
    public static byte[] NewPrivateKey()
    {
        var key = new byte[32];
        do
        {
            RandomNumberGenerator.Fill(key);
        }
        while (!Context.EcSeckeyVerify(key));

        return key;
    }

    /// <summary>True when <paramref name="publicKeyXY"/> is 64 bytes X ‖ Y of a point of the curve (libsecp256k1 checks the equation).</summary>
    public static bool IsPublicKey(ReadOnlySpan<byte> publicKeyXY)
    {
        if (publicKeyXY.Length != 64)
        {
            return false;
        }

        Span<byte> encoded = stackalloc byte[65];
        encoded[0] = 0x04;
        publicKeyXY.CopyTo(encoded[1..]);
        Span<byte> point = stackalloc byte[64];
        return Context.EcPubkeyParse(point, encoded);
    }

    /// <summary>True when s is in the lower half of the order (Ethereum's malleability rule, EIP-2).</summary>
    public static bool IsLowS(ReadOnlySpan<byte> s)
    {
        var significant = s.TrimStart((byte)0);
        if (significant.Length > 32)
        {
            return false;
        }

        Span<byte> padded = stackalloc byte[32];
        padded.Clear();
        significant.CopyTo(padded[(32 - significant.Length)..]);
        return padded.SequenceCompareTo(HalfOrderBytes) <= 0;
    }

    /// <summary>
    /// The x coordinate of <paramref name="privateKey"/>·Q, in constant time in the key: the ECDH secret ECIES derives
    /// its key from. <paramref name="publicKey"/> is 33 (compressed) or 65 (0x04 ‖ X ‖ Y) bytes.
    /// </summary>
    internal static byte[] SharedX(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
    {
        var native = Context;
        Span<byte> point = stackalloc byte[64];
        if (!native.EcPubkeyParse(point, publicKey))
        {
            throw new CryptographicException("the public key is not a point of secp256k1");
        }

        Span<byte> key = stackalloc byte[32];
        try
        {
            var significant = privateKey.TrimStart((byte)0);
            if (significant.Length > 32)
            {
                throw new CryptographicException("the private key is not a secp256k1 scalar");
            }

            key.Clear();
            significant.CopyTo(key[(32 - significant.Length)..]);
            var shared = new byte[32];
            if (!native.Ecdh(shared, point, key, CopyX, IntPtr.Zero))
            {
                throw new CryptographicException("the private key is not a secp256k1 scalar");
            }

            return shared;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // libsecp256k1 hashes the shared point by default; ECIES here takes the bare x (the HKDF does the hashing).
    private static readonly Secp256k1Net.EcdhHashFunction CopyX = (output, x32, _, _) =>
    {
        x32.CopyTo(output);
        return 1;
    };

    private static bool TryRecover(ReadOnlySpan<byte> hash32, Signature signature, Span<byte> xy)
    {
        if (hash32.Length != 32 || signature.RecoveryId > 1)
        {
            return false;
        }

        Span<byte> compact = stackalloc byte[64];
        if (!TryPad32(signature.R, compact[..32]) || !TryPad32(signature.S, compact[32..]))
        {
            return false;
        }

        // The native parser refuses r or s ≥ n; recovery refuses r or s = 0, an r that is no point's x, and infinity.
        var native = Context;
        Span<byte> parsed = stackalloc byte[65];
        Span<byte> point = stackalloc byte[64];
        if (!native.EcdsaRecoverableSignatureParseCompact(parsed, compact, signature.RecoveryId)
            || !native.EcdsaRecover(point, parsed, hash32))
        {
            return false;
        }

        Span<byte> encoded = stackalloc byte[65];
        nuint length = 65;
        native.EcPubkeySerialize(encoded, ref length, point, Secp256k1Net.Secp256k1EcFlags.Uncompressed);
        encoded[1..].CopyTo(xy);
        return true;
    }

    private static byte[] Serialize(Native native, ReadOnlySpan<byte> point)
    {
        Span<byte> encoded = stackalloc byte[65];
        nuint length = 65;
        native.EcPubkeySerialize(encoded, ref length, point, Secp256k1Net.Secp256k1EcFlags.Uncompressed);
        return encoded[1..].ToArray();
    }

    /// <summary>A big-endian integer of any length into 32 bytes; false when it does not fit.</summary>
    private static bool TryPad32(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        var significant = value.TrimStart((byte)0);
        if (significant.Length > 32)
        {
            return false;
        }

        destination.Clear();
        significant.CopyTo(destination[(32 - significant.Length)..]);
        return true;
    }

    /// <summary>Reads a private key as a big-endian integer of any length; it must lie in [1, n).</summary>
    private static void ReadPrivateKey(ReadOnlySpan<byte> privateKey, Span<byte> key)
    {
        // Trimming zeros branches on the key's length only, as BouncyCastle's BigInteger did.
        if (!TryPad32(privateKey, key) || !Context.EcSeckeyVerify(key))
        {
            throw new ArgumentException("the private key is out of range", nameof(privateKey));
        }
    }

    /// <summary>h := h − n when h ≥ n (2^256 &lt; 2n, so once is enough). Hashes are public data.</summary>
    private static void ReduceOnce(Span<byte> hash)
    {
        if (hash.SequenceCompareTo(OrderBytes) < 0)
        {
            return;
        }

        var borrow = 0;
        for (var i = 31; i >= 0; i--)
        {
            var difference = hash[i] - OrderBytes[i] - borrow;
            borrow = difference < 0 ? 1 : 0;
            hash[i] = (byte)(difference + (borrow << 8));
        }
    }
}
