using System.Buffers.Binary;
using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>
/// A requester's signed statement "encrypt my deals' results for this public key", pushed to the pool
/// once (as iExec requesters push their key to the secret service) so that deals naming no key, such
/// as every deal bought on chain, still get encrypted results. EIP-712 typed data under the same
/// domain as <see cref="ResultRequest"/>, so any wallet library signs it:
/// <code>
/// domain: { name: "Orchestrator", version: "1", chainId, verifyingContract: the pool's address }
/// types:  { BeneficiaryKeyRegistration: [ { name: "publicKey", type: "bytes" }, { name: "expiry", type: "uint64" } ] }
/// </code>
/// The signer is the requester the key is registered for. The key may be any secp256k1 public key,
/// not only the signer's own: as on iExec, a requester may name a key kept elsewhere (an offline
/// beneficiary key, a team key). The expiry bounds how long the signed statement can be presented and
/// orders registrations: a newer one (later expiry) replaces an older, an older one replayed is refused.
/// </summary>
/// <param name="PublicKey">The result-encryption key, 64 bytes X ‖ Y (signed as those 64 bytes).</param>
/// <param name="Expiry">Unix seconds after which the signed registration is refused.</param>
public sealed record BeneficiaryKeyRegistration(byte[] PublicKey, ulong Expiry)
{
    /// <summary>encodeType of the registration.</summary>
    public const string TypeString = "BeneficiaryKeyRegistration(bytes publicKey,uint64 expiry)";

    /// <summary>keccak256(encodeType).</summary>
    public static Hash32 TypeHash { get; } = new(Keccak256.Hash(Encoding.ASCII.GetBytes(TypeString)));

    /// <summary>hashStruct(BeneficiaryKeyRegistration): typeHash ‖ keccak256(publicKey) ‖ uint256(expiry).</summary>
    public Hash32 StructHash()
    {
        var expiry = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(expiry.AsSpan(24), Expiry);
        return new(Keccak256.HashConcat(TypeHash.ToArray(), Keccak256.Hash(PublicKey), expiry));
    }

    /// <summary>What the requester signs: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct).</summary>
    public Hash32 SigningDigest(ulong chainId, Address verifyingContract) => new(Keccak256.HashConcat(
        [0x19, 0x01], ResultRequest.DomainSeparator(chainId, verifyingContract).ToArray(), StructHash().ToArray()));
}
