using System.Security.Cryptography;

namespace Orchestrator.Attestation.Policy;

/// <summary>
/// Binds an enclave's session key and the server's challenge into the 64-byte REPORTDATA, so
/// evidence cannot be replayed by another machine or for another session.
/// <para>Layout: bytes 0..31 = SHA-256(sessionPublicKey ‖ challenge); bytes 32..63 = zero.
/// The challenge is exactly <see cref="ChallengeSize"/> fresh random bytes chosen by the server,
/// so the concatenation is unambiguous (the key is everything before the fixed-size challenge).
/// The session public key is given in whatever fixed encoding the session protocol uses
/// (e.g. SubjectPublicKeyInfo DER, or a raw uncompressed point); both sides must use the same bytes.</para>
/// </summary>
public static class ReportDataBinding
{
    /// <summary>Size of the server challenge in bytes.</summary>
    public const int ChallengeSize = 32;

    /// <summary>Size of REPORTDATA in bytes.</summary>
    public const int ReportDataSize = 64;

    /// <summary>A fresh random challenge for one attestation.</summary>
    public static byte[] NewChallenge() => RandomNumberGenerator.GetBytes(ChallengeSize);

    /// <summary>The REPORTDATA the enclave must put in its report for this key and challenge.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> sessionPublicKey, ReadOnlySpan<byte> challenge)
    {
        if (sessionPublicKey.IsEmpty)
        {
            throw new ArgumentException("the session public key is empty", nameof(sessionPublicKey));
        }

        if (challenge.Length != ChallengeSize)
        {
            throw new ArgumentException($"the challenge must be {ChallengeSize} bytes", nameof(challenge));
        }

        var input = new byte[sessionPublicKey.Length + challenge.Length];
        sessionPublicKey.CopyTo(input);
        challenge.CopyTo(input.AsSpan(sessionPublicKey.Length));
        var reportData = new byte[ReportDataSize];
        SHA256.HashData(input, reportData);
        return reportData;
    }

    /// <summary>True when <paramref name="reportData"/> is exactly the binding of this key and challenge (constant-time compare).</summary>
    public static bool Matches(ReadOnlySpan<byte> reportData, ReadOnlySpan<byte> sessionPublicKey, ReadOnlySpan<byte> challenge)
    {
        if (reportData.Length != ReportDataSize || sessionPublicKey.IsEmpty || challenge.Length != ChallengeSize)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(reportData, Compute(sessionPublicKey, challenge));
    }
}
