using System.Buffers.Binary;
using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>
/// A requester's signed ask for a task's result or logs: EIP-712 typed data, so any wallet library
/// signs it (ethers' <c>signTypedData</c>, MetaMask's <c>eth_signTypedData_v4</c>).
/// <code>
/// domain: { name: "Orchestrator", version: "1", chainId, verifyingContract: the pool's address }
/// types:  { ResultRequest: [ { name: "taskId", type: "bytes32" }, { name: "kind", type: "string" }, { name: "expiry", type: "uint64" } ] }
/// </code>
/// The domain is the pool's identity that worker sessions already bind (Orchestrator:Api:PoolAddress
/// and ChainId, defaulting to the chain's), so a request signed for one pool is worthless at another.
/// </summary>
/// <param name="TaskId">The task.</param>
/// <param name="Kind"><see cref="ResultKind"/>: "result" or "logs".</param>
/// <param name="Expiry">Unix seconds after which the request is refused.</param>
public sealed record ResultRequest(Hash32 TaskId, string Kind, ulong Expiry)
{
    /// <summary>The EIP-712 domain's name.</summary>
    public const string DomainName = "Orchestrator";

    /// <summary>The EIP-712 domain's version.</summary>
    public const string DomainVersion = "1";

    /// <summary>encodeType of the request.</summary>
    public const string TypeString = "ResultRequest(bytes32 taskId,string kind,uint64 expiry)";

    private const string DomainTypeString = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    /// <summary>keccak256(encodeType).</summary>
    public static Hash32 TypeHash { get; } = new(Keccak256.Hash(Encoding.ASCII.GetBytes(TypeString)));

    /// <summary>The domain separator of a pool: hashStruct(EIP712Domain{name, version, chainId, verifyingContract}).</summary>
    public static Hash32 DomainSeparator(ulong chainId, Address verifyingContract) => new(Keccak256.HashConcat(
        Keccak256.Hash(Encoding.ASCII.GetBytes(DomainTypeString)),
        Keccak256.Hash(Encoding.UTF8.GetBytes(DomainName)),
        Keccak256.Hash(Encoding.UTF8.GetBytes(DomainVersion)),
        Word(chainId),
        [.. new byte[12], .. verifyingContract.Bytes]));

    /// <summary>hashStruct(ResultRequest): typeHash ‖ taskId ‖ keccak256(kind) ‖ uint256(expiry).</summary>
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash.ToArray(), TaskId.ToArray(), Keccak256.Hash(Encoding.UTF8.GetBytes(Kind)), Word(Expiry)));

    /// <summary>What the signer signs: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct).</summary>
    public Hash32 SigningDigest(ulong chainId, Address verifyingContract) => new(Keccak256.HashConcat(
        [0x19, 0x01], DomainSeparator(chainId, verifyingContract).ToArray(), StructHash().ToArray()));

    private static byte[] Word(ulong value)
    {
        var word = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(word.AsSpan(24), value);
        return word;
    }
}

/// <summary>What a <see cref="ResultRequest"/> asks for.</summary>
public static class ResultKind
{
    /// <summary>The task's result archive.</summary>
    public const string Result = "result";

    /// <summary>The app's stdout and stderr.</summary>
    public const string Logs = "logs";
}
