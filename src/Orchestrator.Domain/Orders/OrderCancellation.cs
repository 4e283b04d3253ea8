using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// An owner's signed withdrawal of one of their orders from the off-chain order book, under the hub's EIP-712 domain
/// (<see cref="OrderDomain"/>): <c>OrderCancellation(bytes32 order)</c> where <c>order</c> is the order's EIP-712 digest.
/// A cancellation is permanent, so a replayed one changes nothing and needs no nonce.
/// </summary>
public static class OrderCancellation
{
    /// <summary>encodeType.</summary>
    public const string TypeString = "OrderCancellation(bytes32 order)";

    private static readonly byte[] TypeHash = Keccak256.Hash(Encoding.ASCII.GetBytes(TypeString));

    /// <summary>What the owner signs to cancel the order whose digest is <paramref name="order"/>.</summary>
    public static Hash32 Digest(ulong chainId, Address hub, Hash32 order)
        => OrderDomain.Digest(chainId, hub, new Hash32(Keccak256.HashConcat(TypeHash, order.ToArray())));
}
