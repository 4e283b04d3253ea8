using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Domain.Crypto;

/// <summary>
/// The integrity tag of stored trust (attestation verdicts, app and pool policies, secret terms): an
/// HMAC-SHA256 under a key derived (HKDF-SHA256) from the secret service's master key, over the state
/// name, the grain id and the serialized state. Binding the name and the id means a valid row copied
/// onto another grain (a lax policy onto another app) fails as surely as an edited one.
/// </summary>
public static class StateMac
{
    /// <summary>The HKDF info of the MAC key: a key for this one purpose, never the master key itself.</summary>
    public static ReadOnlySpan<byte> KeyInfo => "orchestrator/state-integrity/v1"u8;

    /// <summary>Size of a tag.</summary>
    public const int Size = 32;

    /// <summary>Derives the MAC key from a master key.</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> masterKey)
    {
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, key, salt: [], info: KeyInfo);
        return key;
    }

    /// <summary>The tag of <paramref name="payload"/> stored as state <paramref name="stateName"/> of grain <paramref name="grainId"/>.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> key, string stateName, string grainId, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainId);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendField(hmac, Encoding.UTF8.GetBytes(stateName));
        AppendField(hmac, Encoding.UTF8.GetBytes(grainId));
        AppendField(hmac, payload);
        return hmac.GetHashAndReset();
    }

    /// <summary>Whether <paramref name="tag"/> is the tag of this state (constant time).</summary>
    public static bool Verify(ReadOnlySpan<byte> key, string stateName, string grainId, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> tag)
        => tag.Length == Size && CryptographicOperations.FixedTimeEquals(Compute(key, stateName, grainId, payload), tag);

    // Length-prefixed, so no two different (name, id, payload) triples feed the same bytes.
    private static void AppendField(IncrementalHash hmac, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, field.Length);
        hmac.AppendData(length);
        hmac.AppendData(field);
    }
}
