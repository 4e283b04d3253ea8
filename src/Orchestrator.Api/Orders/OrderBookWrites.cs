using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>
/// Publication and cancellation for both order services, in an order that lets a refused call change nothing: every
/// field parsed, the hub's domain known, the owner read from the registry (or the pool from configuration), the
/// signature checked (<see cref="OrderPublication"/>), and only then the book written.
/// </summary>
internal sealed class OrderBookWrites(IGrainFactory grains, IOptions<ApiOptions> options, TimeProvider time)
{
    /// <summary>The hub's EIP-712 domain, or FAILED_PRECONDITION when this cluster names no hub.</summary>
    public (ulong ChainId, Address Hub) Domain()
    {
        var value = options.Value;
        return Address.TryParse(value.HubAddress, out var hub, out _)
            ? ((ulong)Math.Max(0, value.ChainId ?? 0), hub)
            : throw Require.Precondition("this cluster names no hub: set Orchestrator:Chain:HubAddress (rule: orders are signed for one hub contract and chain id)");
    }

    /// <summary>This cluster's pool (orders of other pools are refused).</summary>
    public Address Pool => options.Value.PoolAddress is { Length: > 0 } text ? Address.Parse(text) : Address.Zero;

    public async Task<Proto.BookOrder> PublishAsync(Proto.Order? order, Google.Protobuf.WellKnownTypes.Timestamp? expiresAt, bool asPool)
    {
        var now = time.GetUtcNow();
        var parsed = OrderBookRequests.Parse(order, now);
        var expiry = expiresAt?.ToDateTimeOffset();
        if (expiry <= now)
        {
            throw Require.Invalid($"OrderExpired: expires_at {expiry:O} is not after now {now:O} (rule: the book holds an order only until its publication's expires_at)");
        }

        var (chainId, hub) = Domain();
        if (asPool != (parsed.Kind == BookOrderKind.Workerpool))
        {
            throw Require.Invalid(asPool
                ? "order.kind: OrderBookAdmin publishes workerpool orders only (rule: app and dataset owners publish theirs through OrderBook with their own signatures)"
                : "order.kind: workerpool orders are published by the pool owner through OrderBookAdmin (rule: the pool sells through its admin API)");
        }

        Address? owner = parsed.Kind switch
        {
            BookOrderKind.App => (await grains.FindAppAsync(parsed.Entry.Asset))?.Owner,
            BookOrderKind.Dataset => (await grains.FindDatasetAsync(parsed.Entry.Asset))?.Owner,
            _ => Pool,
        };
        var refusal = parsed.Order switch
        {
            AppOrder app => OrderPublication.Check(app, parsed.Signature, owner, chainId, hub),
            DatasetOrder dataset => OrderPublication.Check(dataset, parsed.Signature, owner, chainId, hub),
            WorkerpoolOrder pool => OrderPublication.Check(pool, parsed.Signature, Pool, chainId, hub),
            _ => throw new InvalidOperationException("unreachable: the parser builds only the three sell-side orders"),
        };
        if (refusal is not null)
        {
            throw Refused(refusal);
        }

        var entry = parsed.Entry with { Digest = OrderDomain.Digest(chainId, hub, parsed.StructHash), Owner = owner!.Value, ExpiresAt = expiry };
        var held = await grains.OrderBook().PublishAsync(entry)
            ?? throw Require.Precondition($"order {entry.Digest} was cancelled (rule: a cancelled order is never published again; sign a new one with another salt)");
        return OrderBookRequests.ToProto(held);
    }

    /// <summary>Cancels a held order; <paramref name="signature"/> is the owner's OrderCancellation, or null for the pool's token.</summary>
    public async Task<Proto.BookOrder> CancelAsync(string hashText, Google.Protobuf.ByteString? signature)
    {
        var hash = Require.Hash(hashText, "hash");
        var (chainId, hub) = Domain();
        var held = await grains.OrderBook().GetAsync(hash)
            ?? throw Require.NotFound($"order {hash} is not in the book (rule: only a published order is cancelled here; `orchestrator order list`)");
        if (signature is null)
        {
            if (held.Kind != BookOrderKind.Workerpool)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"order {hash} is an {(held.Kind == BookOrderKind.App ? "app" : "dataset")} order (rule: the pool's token cancels only the pool's orders; the asset's owner signs its own cancellation)"));
            }
        }
        else
        {
            if (held.Kind == BookOrderKind.Workerpool)
            {
                throw Require.Invalid($"order {hash} is a workerpool order (rule: the pool owner cancels it through OrderBookAdmin with the token)");
            }

            var party = held.Kind == BookOrderKind.App ? OrderParty.App : OrderParty.Dataset;
            if (OrderPublication.CheckCancellation(party, hash, signature.Span, held.Owner, chainId, hub) is { } refusal)
            {
                throw Refused(refusal);
            }
        }

        return OrderBookRequests.ToProto((await grains.OrderBook().CancelAsync(hash))!);
    }

    private static RpcException Refused(OrderRefusal refusal) => new(new Status(refusal.Rule switch
    {
        OrderRule.BadOrderSignature => StatusCode.Unauthenticated,
        OrderRule.UnknownAsset => StatusCode.NotFound,
        _ => StatusCode.InvalidArgument,
    }, $"{refusal.Rule}: {refusal.Message}"));
}
