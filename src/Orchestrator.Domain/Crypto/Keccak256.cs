using Org.BouncyCastle.Crypto.Digests;

namespace Orchestrator.Domain.Crypto;

/// <summary>Ethereum's Keccak-256 (the original Keccak padding, not NIST SHA3-256).</summary>
public static class Keccak256
{
    /// <summary>Hashes <paramref name="data"/> and returns the 32-byte digest.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var output = new byte[32];
        Hash(data, output);
        return output;
    }

    /// <summary>Hashes <paramref name="data"/> into <paramref name="destination"/> (32 bytes).</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < 32)
        {
            throw new ArgumentException("Keccak-256 needs a 32-byte destination.", nameof(destination));
        }

        var digest = Digest();
        digest.BlockUpdate(data);
        digest.DoFinal(destination);
    }

    /// <summary>Hashes the concatenation of several byte strings (Solidity's abi.encodePacked of bytes).</summary>
    public static byte[] HashConcat(params ReadOnlySpan<byte[]> parts)
    {
        var digest = Digest();
        foreach (var part in parts)
        {
            digest.BlockUpdate(part, 0, part.Length);
        }

        var output = new byte[32];
        digest.DoFinal(output, 0);
        return output;
    }

    // A digest is ~400 bytes of state and buffer; the task path hashes several times per step, so each thread keeps one.
    // DoFinal resets it; the reset here covers a hash abandoned half-way by an exception.
    [ThreadStatic]
    private static KeccakDigest? t_digest;

    private static KeccakDigest Digest()
    {
        var digest = t_digest ??= new KeccakDigest(256);
        digest.Reset();
        return digest;
    }
}
