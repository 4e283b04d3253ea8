using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// The rules an order must meet before the off-chain order book holds it, checked before anything is stored. They are
/// the matching rules that can be judged on one order alone (<see cref="OrderMatching"/>), with the same rules and
/// messages, so an order the book holds is never refused later for its own signature, asset or category.
/// </summary>
public static class OrderPublication
{
    /// <summary>Null when an app order may be published; <paramref name="owner"/> is the app's registered owner (null: not registered).</summary>
    public static OrderRefusal? Check(AppOrder order, ReadOnlySpan<byte> signature, Address? owner, ulong chainId, Address hub)
        => Signed(OrderParty.App, $"app {order.App.ToLowerHex()}", order.Volume, OrderDomain.Digest(chainId, hub, order.StructHash()), signature, owner);

    /// <summary>Null when a dataset order may be published; <paramref name="owner"/> is the dataset's registered owner (null: not registered).</summary>
    public static OrderRefusal? Check(DatasetOrder order, ReadOnlySpan<byte> signature, Address? owner, ulong chainId, Address hub)
        => Signed(OrderParty.Dataset, $"dataset {order.Dataset.ToLowerHex()}", order.Volume, OrderDomain.Digest(chainId, hub, order.StructHash()), signature, owner);

    /// <summary>Null when a workerpool order may be published by this cluster, whose pool is <paramref name="pool"/>.</summary>
    public static OrderRefusal? Check(WorkerpoolOrder order, ReadOnlySpan<byte> signature, Address pool, ulong chainId, Address hub)
    {
        if (order.Workerpool != pool)
        {
            return new(OrderRule.UnknownAsset, OrderParty.Workerpool,
                $"pool {order.Workerpool.ToLowerHex()} is not this cluster's pool {pool.ToLowerHex()} (rule: only registered assets and pools sell through orders)");
        }

        if (order.Category < 0 || order.Category >= OrderMatching.CategoryCount)
        {
            return new(OrderRule.UnknownCategory, OrderParty.Workerpool,
                $"category {order.Category} is not one the hub knows (rule: 0 XS .. {OrderMatching.CategoryCount - 1} XL)");
        }

        return Signed(OrderParty.Workerpool, $"pool {pool.ToLowerHex()}", order.Volume, OrderDomain.Digest(chainId, hub, order.StructHash()), signature, pool);
    }

    /// <summary>Null when <paramref name="signature"/> is <paramref name="owner"/>'s cancellation of the order whose digest is <paramref name="order"/>.</summary>
    public static OrderRefusal? CheckCancellation(OrderParty party, Hash32 order, ReadOnlySpan<byte> signature, Address owner, ulong chainId, Address hub)
        => OrderMatching.SignedBy(OrderCancellation.Digest(chainId, hub, order), signature, owner)
            ? null
            : new(OrderRule.BadOrderSignature, party,
                $"the cancellation is not signed by the order's owner {owner.ToLowerHex()} under the hub's domain (rule: only an order's owner cancels it, signing OrderCancellation(bytes32 order))");

    private static OrderRefusal? Signed(OrderParty party, string what, BigInteger volume, Hash32 digest, ReadOnlySpan<byte> signature, Address? owner)
    {
        if (owner is null)
        {
            return new(OrderRule.UnknownAsset, party, $"{what} is not registered (rule: only registered assets and pools sell through orders)");
        }

        if (volume <= 0)
        {
            return new(OrderRule.VolumeExhausted, party, $"the order's volume is {volume} (rule: an order sells at least one task)");
        }

        return OrderMatching.SignedBy(digest, signature, owner.Value)
            ? null
            : new(OrderRule.BadOrderSignature, party,
                $"the order is not signed by {what}'s owner {owner.Value.ToLowerHex()} under the hub's domain (rule: each order is signed by its owner under this hub's EIP-712 domain and chain id)");
    }
}
