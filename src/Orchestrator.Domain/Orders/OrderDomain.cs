using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// The EIP-712 domain every order is signed under: the hub contract that matches them on its chain.
/// <code>{ name: "OrchestratorHub", version: "1", chainId, verifyingContract: the hub's address }</code>
/// PoCo's shape (iExec names its domain "iExecODB" version "5.0.0"); ours carries its own name, so an order signed for an
/// iExec hub is never valid here and the reverse. The hub returns these fields through EIP-5267's <c>eip712Domain()</c>.
/// </summary>
public static class OrderDomain
{
    /// <summary>The domain's name.</summary>
    public const string Name = "OrchestratorHub";

    /// <summary>The domain's version.</summary>
    public const string Version = "1";

    private const string DomainTypeString = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    /// <summary>hashStruct(EIP712Domain{name, version, chainId, verifyingContract: hub}).</summary>
    public static Hash32 Separator(ulong chainId, Address hub) => new(Keccak256.HashConcat(
        Keccak256.Hash(Encoding.ASCII.GetBytes(DomainTypeString)),
        Eip712Words.String(Name),
        Eip712Words.String(Version),
        Eip712Words.UInt(chainId),
        Eip712Words.Address(hub)));

    /// <summary>What a signer signs and what the hub consumes: keccak256(0x19 0x01 ‖ separator ‖ hashStruct(order)).</summary>
    public static Hash32 Digest(ulong chainId, Address hub, Hash32 structHash)
        => new(Keccak256.HashConcat([0x19, 0x01], Separator(chainId, hub).ToArray(), structHash.ToArray()));
}
