using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// An app owner's signed registration (or update) of an app: EIP-712 typed data under the pool's
/// domain (<see cref="Results.ResultRequest.DomainSeparator"/>), so any wallet library signs it.
/// <code>AppRegistration(address owner,string name,string image,string policy,uint256 price,uint64 nonce,uint64 expiry)</code>
/// The app's address is <see cref="AssetAddresses.App"/>(owner, name); <c>policy</c> is <see cref="AppPolicyText"/>.
/// </summary>
/// <param name="Owner">The app's owner, who signs.</param>
/// <param name="Name">The app's name (1..64 of [A-Za-z0-9._-]).</param>
/// <param name="Image">The image by digest (<see cref="ImageReference"/>).</param>
/// <param name="Policy">The measurement policy's canonical text.</param>
/// <param name="Price">Price per task in wei.</param>
/// <param name="Nonce">Any number not used before by this owner (replay fence).</param>
/// <param name="Expiry">Unix seconds after which the registration is refused.</param>
public sealed record AppRegistration(Address Owner, string Name, string Image, string Policy, BigInteger Price, ulong Nonce, ulong Expiry) : IOwnerSigned
{
    /// <summary>encodeType of the registration.</summary>
    public const string TypeString = "AppRegistration(address owner,string name,string image,string policy,uint256 price,uint64 nonce,uint64 expiry)";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <inheritdoc />
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.Address(Owner), Eip712Words.String(Name), Eip712Words.String(Image), Eip712Words.String(Policy),
        Eip712Words.UInt(Price), Eip712Words.UInt(Nonce), Eip712Words.UInt(Expiry)));

    /// <inheritdoc />
    public Address ClaimedSigner => Owner;
}
