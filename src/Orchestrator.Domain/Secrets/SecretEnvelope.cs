using System.Security.Cryptography;
using System.Text;
namespace Orchestrator.Domain.Secrets;

/// <summary>
/// Envelope encryption: each secret gets its own random 256-bit data key; the value is sealed with
/// AES-256-GCM under it, and the data key is sealed with AES-256-GCM under the active master key,
/// whose id is recorded. Both seals take the secret's slot (owner and name) as associated data, so a
/// ciphertext moved to another slot in the database no longer opens. Layout of each seal: nonce (12) ‖ tag (16) ‖ ciphertext.
/// </summary>
public sealed class SecretEnvelope(IMasterKeys keys)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>Seals a value for a slot.</summary>
    public SealedValue Seal(ReadOnlySpan<byte> plaintext, string slot)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var aad = Encoding.UTF8.GetBytes(slot);
            var keyId = keys.ActiveKeyId;
            return new SealedValue(keyId, SealWith(keys.Active, dataKey, WrapAad(aad, keyId)), SealWith(dataKey, plaintext, aad));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Opens a sealed value of a slot; throws <see cref="CryptographicException"/> when it was altered or moved.</summary>
    public byte[] Open(SealedValue sealedSecret, string slot)
    {
        ArgumentNullException.ThrowIfNull(sealedSecret);
        var aad = Encoding.UTF8.GetBytes(slot);
        var dataKey = OpenWith(keys.Get(sealedSecret.MasterKeyId), sealedSecret.WrappedDataKey, WrapAad(aad, sealedSecret.MasterKeyId));
        try
        {
            return OpenWith(dataKey, sealedSecret.Ciphertext, aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Re-wraps the data key under the active master key (the value's ciphertext is unchanged).</summary>
    public SealedValue Rewrap(SealedValue sealedSecret, string slot)
    {
        ArgumentNullException.ThrowIfNull(sealedSecret);
        if (sealedSecret.MasterKeyId == keys.ActiveKeyId)
        {
            return sealedSecret;
        }

        var aad = Encoding.UTF8.GetBytes(slot);
        var dataKey = OpenWith(keys.Get(sealedSecret.MasterKeyId), sealedSecret.WrappedDataKey, WrapAad(aad, sealedSecret.MasterKeyId));
        try
        {
            var keyId = keys.ActiveKeyId;
            return sealedSecret with { MasterKeyId = keyId, WrappedDataKey = SealWith(keys.Active, dataKey, WrapAad(aad, keyId)) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static byte[] WrapAad(byte[] slot, string keyId) => [.. "wrap:"u8, .. Encoding.UTF8.GetBytes(keyId), (byte)'/', .. slot];

    private static byte[] SealWith(byte[] key, ReadOnlySpan<byte> plaintext, byte[] aad)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), aad);
        return output;
    }

    private static byte[] OpenWith(byte[] key, byte[] sealedBytes, byte[] aad)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("sealed data is truncated");
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var gcm = new AesGcm(key, TagSize);
        try
        {
            gcm.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plaintext, aad);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new CryptographicException("sealed data does not open: altered, moved to another slot, or wrapped by another key", ex);
        }

        return plaintext;
    }
}
