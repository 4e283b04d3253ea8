using Google.Protobuf;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>How a wallet holder signs orchestrator.orders.v1 orders and cancellations (the CLI's `order` commands and tests use it).</summary>
public static class OrderSigning
{
    /// <summary>Signs <paramref name="order"/> in place under the hub's domain and returns it; a malformed field throws FormatException naming it.</summary>
    public static Proto.Order Sign(Proto.Order order, byte[] key, ulong chainId, Address hub)
    {
        ArgumentNullException.ThrowIfNull(order);
        Proto.Order parsedFrom = order.Clone();
        parsedFrom.Signature = ByteString.Empty;
        OrderBookRequests.Parsed parsed;
        try
        {
            parsed = OrderBookRequests.ParseUnsigned(parsedFrom, DateTimeOffset.UnixEpoch);
        }
        catch (Grpc.Core.RpcException ex)
        {
            throw new FormatException(ex.Status.Detail, ex);
        }

        order.Signature = ByteString.CopyFrom(Secp256k1.Sign(OrderDomain.Digest(chainId, hub, parsed.StructHash).ToArray(), key).ToBytes65());
        return order;
    }

    /// <summary>Signs a requester's <paramref name="order"/> in place under the hub's domain and returns it; a malformed field throws FormatException naming it.</summary>
    public static Proto.RequestOrder SignRequest(Proto.RequestOrder order, byte[] key, ulong chainId, Address hub)
    {
        ArgumentNullException.ThrowIfNull(order);
        RequestOrder parsed;
        try
        {
            parsed = MatchRequests.ParseUnsigned(order);
        }
        catch (Grpc.Core.RpcException ex)
        {
            throw new FormatException(ex.Status.Detail, ex);
        }

        order.Signature = ByteString.CopyFrom(Secp256k1.Sign(OrderDomain.Digest(chainId, hub, parsed.StructHash()).ToArray(), key).ToBytes65());
        return order;
    }

    /// <summary>The request order's hash (its EIP-712 digest under the hub's domain): the deal id is keccak256(hash ‖ botFirst).</summary>
    public static Hash32 RequestHash(Proto.RequestOrder order, ulong chainId, Address hub)
        => OrderDomain.Digest(chainId, hub, MatchRequests.ParseUnsigned(order).StructHash());

    /// <summary>The owner's signed OrderCancellation of the order whose hash (EIP-712 digest) is <paramref name="hash"/>.</summary>
    public static ByteString Cancellation(Hash32 hash, byte[] key, ulong chainId, Address hub)
        => ByteString.CopyFrom(Secp256k1.Sign(OrderCancellation.Digest(chainId, hub, hash).ToArray(), key).ToBytes65());
}
