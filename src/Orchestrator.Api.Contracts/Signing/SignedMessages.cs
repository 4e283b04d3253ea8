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

    /// <summary>The prefix of the session proof: "orchestrator.worker.v1/session:" (31 bytes).</summary>
    public static ReadOnlySpan<byte> SessionPrefix => "orchestrator.worker.v1/session:"u8;

    /// <summary>The prefix of an upload header: "orchestrator.worker.v1/upload:" (30 bytes).</summary>
    public static ReadOnlySpan<byte> UploadPrefix => "orchestrator.worker.v1/upload:"u8;

    /// <summary>The message of Proof.signature: the session prefix followed by the 32 challenge bytes.</summary>
    public static byte[] Session(ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length != ChallengeSize)
        {
            throw new ArgumentException($"a session challenge is {ChallengeSize} bytes, not {challenge.Length}", nameof(challenge));
        }

        return [.. SessionPrefix, .. challenge];
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
}
