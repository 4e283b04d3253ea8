using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// An owner's signed read of what only they may see (their secrets' names, the audit of their
/// secrets): EIP-712 typed data under the pool's domain. Reads change nothing, so a replay within
/// the expiry reveals only what the owner already saw; no nonce is kept.
/// <code>OwnerQuery(string action,string kind,address target,uint64 expiry)</code>
/// </summary>
/// <param name="Action">"secrets.list" or "secrets.audit".</param>
/// <param name="Kind">Whose secrets: "app", "dataset" or "requester".</param>
/// <param name="Target">The app, dataset or requester address.</param>
/// <param name="Expiry">Unix seconds after which the query is refused.</param>
/// <param name="Signer">Who claims to sign.</param>
public sealed record OwnerQuery(string Action, string Kind, Address Target, ulong Expiry, Address Signer) : IOwnerSigned
{
    /// <summary>encodeType of the query.</summary>
    public const string TypeString = "OwnerQuery(string action,string kind,address target,uint64 expiry)";

    /// <summary>Listing one's secrets' names.</summary>
    public const string ListSecrets = "secrets.list";

    /// <summary>Reading one's secrets' release audit.</summary>
    public const string AuditSecrets = "secrets.audit";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <inheritdoc />
    public ulong Nonce => 0;

    /// <inheritdoc />
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.String(Action), Eip712Words.String(Kind), Eip712Words.Address(Target), Eip712Words.UInt(Expiry)));

    /// <inheritdoc />
    public Address ClaimedSigner => Signer;
}
