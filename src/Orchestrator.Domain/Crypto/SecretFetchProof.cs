using System.Buffers.Binary;
using System.Text;

namespace Orchestrator.Domain.Crypto;

/// <summary>
/// How an enclave proves a secret fetch comes from its attested session: it signs
/// <c>keccak256("orchestrator.sms.fetch.v1" ‖ worker (20) ‖ taskId (32) ‖ uint64 BE unix seconds ‖ sessionId UTF-8)</c>
/// with its enclave session key (secp256k1, recoverable 65-byte signature). The secret service
/// recovers the public key and compares it with the one bound in the session's attested REPORTDATA;
/// the timestamp bounds replays, and what is released is sealed (ECIES) to that same key.
/// </summary>
public static class SecretFetchProof
{
    private static readonly byte[] Domain = "orchestrator.sms.fetch.v1"u8.ToArray();

    /// <summary>The 32-byte digest the enclave signs.</summary>
    public static byte[] Digest(Address worker, Hash32 taskId, string sessionId, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var seconds = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(seconds, issuedAt.ToUnixTimeSeconds());
        return Keccak256.HashConcat(Domain, worker.Bytes.ToArray(), taskId.ToArray(), seconds, Encoding.UTF8.GetBytes(sessionId));
    }

    /// <summary>Signs a fetch with the enclave session private key (65 bytes r ‖ s ‖ v).</summary>
    public static byte[] Sign(ReadOnlySpan<byte> sessionPrivateKey, Address worker, Hash32 taskId, string sessionId, DateTimeOffset issuedAt)
        => Secp256k1.Sign(Digest(worker, taskId, sessionId, issuedAt), sessionPrivateKey).ToBytes65();

    /// <summary>True when <paramref name="signature"/> is by the key whose public key (64 bytes X ‖ Y, or 65 with 0x04) is <paramref name="sessionPublicKey"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> sessionPublicKey, ReadOnlySpan<byte> signature, Address worker, Hash32 taskId, string sessionId, DateTimeOffset issuedAt)
    {
        var expected = sessionPublicKey.Length == 65 && sessionPublicKey[0] == 0x04 ? sessionPublicKey[1..] : sessionPublicKey;
        if (expected.Length != 64 || !Signature.TryFromBytes65(signature, out var parsed, out _))
        {
            return false;
        }

        return Secp256k1.TryRecoverPublicKey(Digest(worker, taskId, sessionId, issuedAt), parsed!, out var recovered)
            && recovered.AsSpan().SequenceEqual(expected);
    }
}
