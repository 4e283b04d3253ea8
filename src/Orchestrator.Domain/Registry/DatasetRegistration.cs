using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// A dataset owner's signed registration (or update): EIP-712 typed data under the pool's domain.
/// <code>DatasetRegistration(address owner,string name,bytes32 checksum,string uri,uint256 price,address[] apps,address[] appOwners,address[] requesters,address[] pools,uint64 nonce,uint64 expiry)</code>
/// An empty restriction list allows everyone; a non-empty one allows only the addresses it names.
/// </summary>
/// <param name="Owner">The dataset's owner, who signs.</param>
/// <param name="Name">The dataset's name (1..64 of [A-Za-z0-9._-]).</param>
/// <param name="Checksum">SHA-256 of the encrypted file.</param>
/// <param name="Uri">Where workers download the encrypted file.</param>
/// <param name="Price">Price per task in wei.</param>
/// <param name="Restrictions">Who may use the dataset.</param>
/// <param name="Nonce">Any number not used before by this owner.</param>
/// <param name="Expiry">Unix seconds after which the registration is refused.</param>
public sealed record DatasetRegistration(
    Address Owner, string Name, Hash32 Checksum, string Uri, BigInteger Price, DatasetRestrictions Restrictions, ulong Nonce, ulong Expiry) : IOwnerSigned
{
    /// <summary>encodeType of the registration.</summary>
    public const string TypeString = "DatasetRegistration(address owner,string name,bytes32 checksum,string uri,uint256 price,address[] apps,address[] appOwners,address[] requesters,address[] pools,uint64 nonce,uint64 expiry)";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <inheritdoc />
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.Address(Owner), Eip712Words.String(Name), Checksum.ToArray(), Eip712Words.String(Uri), Eip712Words.UInt(Price),
        Eip712Words.Addresses(Restrictions.Apps), Eip712Words.Addresses(Restrictions.AppOwners),
        Eip712Words.Addresses(Restrictions.Requesters), Eip712Words.Addresses(Restrictions.Pools),
        Eip712Words.UInt(Nonce), Eip712Words.UInt(Expiry)));

    /// <inheritdoc />
    public Address ClaimedSigner => Owner;
}
