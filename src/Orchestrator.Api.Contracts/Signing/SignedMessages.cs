using System.Buffers.Binary;

namespace Orchestrator.Api.Contracts.Signing;

/// <summary>
/// The exact bytes a worker signs (EIP-191 personal_sign) in orchestrator.worker.v1, so the server
/// and every agent build them the same way. Each starts with a prefix of its own, so a signature
/// made for a session or an upload can never pass as a protocol signature (contribution,
/// authorization), which sign bare 32-byte hashes.
/// </summary>
public static class SignedMessages
{
    /// <summary>Size of the server's session challenge.</summary>
    public const int ChallengeSize = 32;

    /// <summary>Size of a pool address.</summary>
    public const int AddressSize = 20;

    /// <summary>Size of the TLS certificate hash bound into a session proof (SHA-256).</summary>
    public const int CertificateHashSize = 32;

    /// <summary>Length of the session proof message: 31 + 20 + 32 + 32 + 32 bytes.</summary>
    public const int SessionMessageSize = 31 + AddressSize + 32 + CertificateHashSize + ChallengeSize;

    /// <summary>The prefix of the session proof: "orchestrator.worker.v1/session:" (31 bytes).</summary>
    public static ReadOnlySpan<byte> SessionPrefix => "orchestrator.worker.v1/session:"u8;

    /// <summary>The prefix of an upload header: "orchestrator.worker.v1/upload:" (30 bytes).</summary>
    public static ReadOnlySpan<byte> UploadPrefix => "orchestrator.worker.v1/upload:"u8;

    /// <summary>The prefix of a logs upload header: "orchestrator.worker.v1/logs:" (28 bytes).</summary>
    public static ReadOnlySpan<byte> LogsPrefix => "orchestrator.worker.v1/logs:"u8;

    /// <summary>
    /// The message of Proof.signature (147 bytes): the session prefix, the pool's address (20 bytes),
    /// the chain id (32-byte big-endian), the SHA-256 of the server's TLS certificate as the worker saw
    /// it on this connection (32 zero bytes over plaintext), then the 32 challenge bytes. Binding the
    /// pool and the TLS channel makes a proof worthless anywhere else: a pool (or anyone in the middle)
    /// that relays another pool's challenge to a worker gets a signature over its own identity.
    /// </summary>
    public static byte[] Session(ReadOnlySpan<byte> poolAddress, ulong chainId, ReadOnlySpan<byte> tlsCertificateSha256, ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length != ChallengeSize)
        {
            throw new ArgumentException($"a session challenge is {ChallengeSize} bytes, not {challenge.Length}", nameof(challenge));
        }

        if (poolAddress.Length != AddressSize)
        {
            throw new ArgumentException($"a pool address is {AddressSize} bytes, not {poolAddress.Length}", nameof(poolAddress));
        }

        if (tlsCertificateSha256.Length is not (0 or CertificateHashSize))
        {
            throw new ArgumentException($"a TLS certificate hash is {CertificateHashSize} bytes (or none over plaintext), not {tlsCertificateSha256.Length}", nameof(tlsCertificateSha256));
        }

        var message = new byte[SessionMessageSize];
        var span = message.AsSpan();
        SessionPrefix.CopyTo(span);
        span = span[SessionPrefix.Length..];
        poolAddress.CopyTo(span);
        span = span[AddressSize..];
        BinaryPrimitives.WriteUInt64BigEndian(span[24..32], chainId); // uint256: 24 zero bytes, then 8
        span = span[32..];
        tlsCertificateSha256.CopyTo(span); // stays zero over plaintext
        span = span[CertificateHashSize..];
        challenge.CopyTo(span);
        return message;
    }

    /// <summary>The message of UploadHeader.signature: the upload prefix, the task id (32 bytes), the archive's SHA-256 (32 bytes).</summary>
    public static byte[] Upload(ReadOnlySpan<byte> taskId, ReadOnlySpan<byte> sha256)
    {
        if (taskId.Length != 32 || sha256.Length != 32)
        {
            throw new ArgumentException("an upload message needs a 32-byte task id and a 32-byte SHA-256");
        }

        return [.. UploadPrefix, .. taskId, .. sha256];
    }

    /// <summary>The message of a logs upload's UploadHeader.signature: the logs prefix, the task id (32 bytes), the package's SHA-256 (32 bytes).</summary>
    public static byte[] Logs(ReadOnlySpan<byte> taskId, ReadOnlySpan<byte> sha256)
    {
        if (taskId.Length != 32 || sha256.Length != 32)
        {
            throw new ArgumentException("a logs message needs a 32-byte task id and a 32-byte SHA-256");
        }

        return [.. LogsPrefix, .. taskId, .. sha256];
    }
}
