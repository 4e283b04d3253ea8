using System.Collections.Concurrent;
using System.Security.Cryptography;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Enclave.Runner;

/// <summary>
/// The enclave's session key pairs (secp256k1), one per worker session. The private keys never leave
/// this class: it answers public keys, signatures and decryptions, and erases a key when its session closes.
/// </summary>
internal sealed class SessionKeys : IDisposable
{
    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    /// <summary>A fresh key pair; returns its handle and public key (64 bytes X ‖ Y).</summary>
    public (string Handle, byte[] PublicKey) Open()
    {
        var key = Secp256k1.NewPrivateKey();
        var handle = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _keys[handle] = key;
        return (handle, Secp256k1.PublicKeyBytes(key));
    }

    /// <summary>The session's public key.</summary>
    public byte[] PublicKey(string? handle) => Secp256k1.PublicKeyBytes(Key(handle));

    /// <summary>The proof of a secret fetch (SecretFetchProof).</summary>
    public byte[] SignFetch(string? handle, Address worker, Hash32 taskId, string sessionId, DateTimeOffset issuedAt) =>
        SecretFetchProof.Sign(Key(handle), worker, taskId, sessionId, issuedAt);

    /// <summary>Opens what the secret service sealed to the session for a task.</summary>
    public byte[] Open(string? handle, ReadOnlySpan<byte> sealedValue, Hash32 taskId) =>
        Ecies.Decrypt(Key(handle), sealedValue, taskId.ToArray());

    /// <summary>Erases a session's key.</summary>
    public void Close(string? handle)
    {
        if (handle is not null && _keys.TryRemove(handle, out var key))
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var handle in _keys.Keys)
        {
            Close(handle);
        }
    }

    private byte[] Key(string? handle) =>
        handle is not null && _keys.TryGetValue(handle, out var key) ? key : throw new RunnerException($"no open session '{handle}' in this enclave");
}

/// <summary>A request the runner refuses; its message is the one-line answer.</summary>
public sealed class RunnerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RunnerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public RunnerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RunnerException()
    {
    }
}
