using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Grains.Secrets;

/// <summary>
/// The secret service's push key: a secp256k1 key pair every silo derives alike from the active
/// master key (HKDF-SHA256, salt the key's id), so owners encrypt a pushed value to it and no new key
/// has to be distributed. Rotating the master key rotates the push key; clients read the public key
/// (orchestrator.registry.v1 GetPushKey) right before each push.
/// </summary>
public sealed class SecretPushKey(IMasterKeys keys)
{
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("orchestrator.sms.push-key.v1");

    /// <summary>The public key (64 bytes X ‖ Y).</summary>
    public byte[] PublicKey()
    {
        var key = PrivateKey();
        try
        {
            return Secp256k1.PublicKeyBytes(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Opens a pushed value; <see cref="ArgumentException"/> when it was not sealed to this key.</summary>
    public byte[] Open(byte[] encryptedValue)
    {
        var key = PrivateKey();
        try
        {
            return Ecies.Decrypt(key, encryptedValue, SecretPush.EciesContext);
        }
        catch (CryptographicException)
        {
            throw new ArgumentException("encrypted_value does not open with the secret service's push key (rule: ECIES to the public key of GetPushKey, context \"orchestrator.secrets.push.v1\")");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private byte[] PrivateKey()
        => HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.Active, 32, Encoding.UTF8.GetBytes(keys.ActiveKeyId), Info);
}

/// <summary>Serves the push key's public half from any silo.</summary>
[Orleans.Concurrency.StatelessWorker]
public sealed class PushKeyGrain(SecretPushKey key) : Grain, Abstractions.Grains.IPushKeyGrain
{
    /// <inheritdoc />
    public Task<byte[]> GetPublicKeyAsync() => Task.FromResult(key.PublicKey());
}
