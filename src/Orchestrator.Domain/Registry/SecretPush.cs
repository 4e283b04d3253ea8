using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// An owner's signed push of a secret: EIP-712 typed data under the pool's domain. The value itself
/// travels ECIES-encrypted to the secret service's public key; the signature covers its keccak256,
/// so the service opens it and checks it is the value the owner signed.
/// <code>SecretPush(string kind,address target,string name,bytes32 valueHash,uint64 nonce,uint64 expiry)</code>
/// <c>kind</c> is "app" (signed by the app's registered owner), "dataset" (by the dataset's owner) or
/// "requester" (by the requester, target = the signer).
/// </summary>
/// <param name="Kind">Whose secret.</param>
/// <param name="Target">The app, dataset or requester address.</param>
/// <param name="Name">The secret's name ([A-Za-z0-9._-], 1..128; a dataset's key is named "key").</param>
/// <param name="ValueHash">keccak256 of the plaintext value.</param>
/// <param name="Nonce">Any number not used before by this signer.</param>
/// <param name="Expiry">Unix seconds after which the push is refused.</param>
/// <param name="Signer">Who claims to sign (checked against the registry by the caller).</param>
public sealed record SecretPush(SecretOwnerKind Kind, Address Target, string Name, Hash32 ValueHash, ulong Nonce, ulong Expiry, Address Signer) : IOwnerSigned
{
    /// <summary>encodeType of the push.</summary>
    public const string TypeString = "SecretPush(string kind,address target,string name,bytes32 valueHash,uint64 nonce,uint64 expiry)";

    /// <summary>The ECIES context of a pushed value: binds the ciphertext to this use.</summary>
    public static ReadOnlySpan<byte> EciesContext => "orchestrator.secrets.push.v1"u8;

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <summary>The <c>kind</c> text of an owner kind.</summary>
    public static string KindText(SecretOwnerKind kind) => kind.ToString().ToLowerInvariant();

    /// <inheritdoc />
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.String(KindText(Kind)), Eip712Words.Address(Target), Eip712Words.String(Name), ValueHash.ToArray(),
        Eip712Words.UInt(Nonce), Eip712Words.UInt(Expiry)));

    /// <inheritdoc />
    public Address ClaimedSigner => Signer;
}
