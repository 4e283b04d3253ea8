using System.Security.Cryptography;

namespace Orchestrator.Domain.Crypto;

/// <summary>
/// ECIES on secp256k1 with AES-256-GCM: how results are encrypted for a requester's public key and
/// how the secret service hands secrets to an enclave's session key, so only the holder of the
/// private key reads them.
/// <para>Construction: a fresh ephemeral key e; the shared secret is the x coordinate of e·Q;
/// the AES key is HKDF-SHA256(ikm = x, salt = the ephemeral public key, info = "orchestrator-ecies-v1"
/// ‖ <c>context</c>); the plaintext is sealed with AES-256-GCM under a random 96-bit nonce, with the
/// ephemeral public key as associated data.</para>
/// <para>Layout: version 0x01 ‖ ephemeral public key (64 bytes X ‖ Y) ‖ nonce (12) ‖ tag (16) ‖ ciphertext.</para>
/// </summary>
public static class Ecies
{
    /// <summary>The format version byte.</summary>
    public const byte Version = 1;

    /// <summary>Bytes added to the plaintext.</summary>
    public const int Overhead = 1 + 64 + 12 + 16;

    private static readonly byte[] InfoPrefix = "orchestrator-ecies-v1"u8.ToArray();

    /// <summary>Encrypts for a public key (64 bytes X ‖ Y, or 65 with the 0x04 prefix). <paramref name="context"/> must be the same at decryption.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> context = default)
    {
        var q = EncodePoint(recipientPublicKey);
        var ephemeral = Secp256k1.NewPrivateKey();
        try
        {
            var ephemeralPublic = Secp256k1.PublicKeyBytes(ephemeral);
            var key = DeriveKey(SharedX(ephemeral, q), ephemeralPublic, context);
            var output = new byte[Overhead + plaintext.Length];
            output[0] = Version;
            ephemeralPublic.CopyTo(output, 1);
            var nonce = output.AsSpan(65, 12);
            RandomNumberGenerator.Fill(nonce);
            using var gcm = new AesGcm(key, 16);
            gcm.Encrypt(nonce, plaintext, output.AsSpan(Overhead), output.AsSpan(77, 16), ephemeralPublic);
            CryptographicOperations.ZeroMemory(key);
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeral);
        }
    }

    /// <summary>Decrypts with the recipient's private key; throws <see cref="CryptographicException"/> when the data is not for this key or was altered.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> recipientPrivateKey, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> context = default)
    {
        if (sealedData.Length < Overhead)
        {
            throw new CryptographicException($"ECIES data is {sealedData.Length} bytes, shorter than the {Overhead}-byte envelope");
        }

        if (sealedData[0] != Version)
        {
            throw new CryptographicException($"ECIES version {sealedData[0]} is not supported (expected {Version})");
        }

        var ephemeralPublic = sealedData.Slice(1, 64);
        var key = DeriveKey(SharedX(recipientPrivateKey, EncodePoint(ephemeralPublic)), ephemeralPublic, context);
        var plaintext = new byte[sealedData.Length - Overhead];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(sealedData.Slice(65, 12), sealedData[Overhead..], sealedData.Slice(77, 16), plaintext, ephemeralPublic);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new CryptographicException("ECIES data does not decrypt with this key (wrong key, wrong context, or altered data)", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The key in a form libsecp256k1 parses (it checks the curve equation; cofactor 1, so no subgroup check).</summary>
    private static byte[] EncodePoint(ReadOnlySpan<byte> publicKey) => publicKey.Length switch
    {
        64 => [0x04, .. publicKey],
        65 when publicKey[0] == 0x04 => publicKey.ToArray(),
        33 when publicKey[0] is 0x02 or 0x03 => publicKey.ToArray(),
        _ => throw new CryptographicException($"a secp256k1 public key is 64 bytes (X ‖ Y), 65 (0x04 ‖ X ‖ Y) or 33 (compressed); got {publicKey.Length}"),
    };

    private static byte[] SharedX(ReadOnlySpan<byte> privateKey, byte[] publicKey) => Secp256k1.SharedX(privateKey, publicKey);

    private static byte[] DeriveKey(byte[] sharedX, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> context)
    {
        byte[] info = [.. InfoPrefix, .. context];
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedX, 32, ephemeralPublic.ToArray(), info);
        CryptographicOperations.ZeroMemory(sharedX);
        return key;
    }
}
