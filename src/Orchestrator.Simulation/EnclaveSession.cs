using System.Security.Cryptography;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Simulation;

/// <summary>
/// One session of the simulated enclave: a fresh secp256k1 key pair (the enclave session key of
/// orchestrator.worker.v1 Evidence), evidence for the server's challenge, and the two uses of the
/// private key inside the enclave — proving a secret fetch comes from this session and opening what
/// the secret service sealed to it. The private key never leaves this object; it is erased when the
/// session ends (after which every use throws <see cref="ObjectDisposedException"/>).
/// </summary>
public sealed class EnclaveSession : IDisposable
{
    private readonly SimulatedEnclave _enclave;
    private readonly byte[] _sessionKey = Secp256k1.NewPrivateKey();
    private readonly Lock _gate = new();
    private bool _disposed;

    internal EnclaveSession(SimulatedEnclave enclave)
    {
        _enclave = enclave;
        PublicKey = Secp256k1.PublicKeyBytes(_sessionKey);
    }

    /// <summary>The session public key, uncompressed secp256k1 X ‖ Y (64 bytes): the bytes bound in REPORTDATA.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Evidence for the server's 32-byte challenge.</summary>
    public byte[] Attest(ReadOnlySpan<byte> challenge, DateTimeOffset now) => _enclave.Attest(PublicKey, challenge, now);

    /// <summary>The proof of an orchestrator.secrets.v1 fetch (<see cref="SecretFetchProof"/>), 65 bytes r ‖ s ‖ v.</summary>
    public byte[] SignSecretFetch(Address worker, Hash32 taskId, string sessionId, DateTimeOffset issuedAt)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return SecretFetchProof.Sign(_sessionKey, worker, taskId, sessionId, issuedAt);
        }
    }

    /// <summary>
    /// Opens a value the secret service sealed to this session for <paramref name="taskId"/> (ECIES,
    /// the 32 task id bytes as context); <see cref="CryptographicException"/> when it was sealed for
    /// another key or task, or altered.
    /// </summary>
    public byte[] Open(ReadOnlySpan<byte> sealedValue, Hash32 taskId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Ecies.Decrypt(_sessionKey, sealedValue, taskId.ToArray());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_sessionKey);
        }
    }
}
