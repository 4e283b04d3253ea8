using System.Globalization;
using System.Numerics;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Abstractions.Orders;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Orders;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>
/// A requester's match through the book, in an order that lets a refusal change nothing: the request parsed and its
/// signature checked against its requester (before any grain is activated), the book's orders read, the Domain's
/// matching rules (the hub's), the pool's asset rules, the deal creator's own check (the hub's simulation with the
/// bridge on); only then is the volume taken from the book (all or nothing, refusing a replayed or concurrent match),
/// and given back if the deal cannot be created after all.
/// </summary>
internal sealed class OrderMatches(IGrainFactory grains, OrderBookWrites writes, IMatchedDeals deals, TimeProvider time)
{
    public async Task<Proto.MatchOrdersReply> MatchAsync(Proto.MatchOrdersRequest request, CancellationToken cancellationToken)
    {
        var (order, signature) = MatchRequests.Parse(request.Request);
        var (chainId, hub) = writes.Domain();
        var requestDigest = OrderDomain.Digest(chainId, hub, order.StructHash());
        if (!OrderMatching.SignedBy(requestDigest, signature, order.Requester))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"BadOrderSignature: the request order is not signed by its requester {order.Requester.ToLowerHex()} under the hub's domain (rule: each order is signed by its owner under this hub's EIP-712 domain and chain id)"));
        }

        var held = await HeldOrdersAsync(request, order);
        var book = grains.OrderBook();
        var botFirst = BigInteger.Parse(await book.RequestConsumedAsync(requestDigest), CultureInfo.InvariantCulture);
        var orders = new OrderSet(
            MatchRequests.App(held.App), MatchRequests.Signature(held.App),
            MatchRequests.Dataset(held.Dataset), MatchRequests.Signature(held.Dataset),
            MatchRequests.Workerpool(held.Pool), MatchRequests.Signature(held.Pool),
            order, signature);
        var heldList = held.Dataset is null ? new[] { held.App, held.Pool } : [held.App, held.Dataset, held.Pool];
        var (match, refusal) = OrderMatching.Match(orders, new BookLedger(heldList, requestDigest, botFirst, writes.Pool), chainId, hub);
        if (refusal is not null)
        {
            throw Refused(refusal.Rule, $"{refusal.Rule}: {refusal.Message}");
        }

        var spec = Spec(orders, match!);
        await Registry.DealAssets.CheckAsync(grains, spec, writes.Pool);
        if (await deals.CheckAsync(orders, cancellationToken) is { } hubRefusal)
        {
            throw Refused(RuleOf(hubRefusal), hubRefusal);
        }

        var consumption = new BookConsumption([.. heldList.Select(o => o.Digest)], requestDigest, Text(match!.BotFirst), Text(match.Volume));
        if (await book.ConsumeAsync(consumption) is { } exhausted)
        {
            throw Require.Precondition(exhausted);
        }

        var transaction = await CreateOrReleaseAsync(orders, spec, consumption, cancellationToken);
        return new Proto.MatchOrdersReply
        {
            DealId = match.DealId.ToString(),
            BotFirst = Text(match.BotFirst),
            Volume = Text(match.Volume),
            RequestHash = requestDigest.ToString(),
            AppOrder = held.App.Digest.ToString(),
            DatasetOrder = held.Dataset?.Digest.ToString() ?? string.Empty,
            WorkerpoolOrder = held.Pool.Digest.ToString(),
            Transaction = transaction?.ToString() ?? string.Empty,
        };
    }

    private async Task<Hash32?> CreateOrReleaseAsync(OrderSet orders, DealSpecMessage spec, BookConsumption consumption, CancellationToken cancellationToken)
    {
        try
        {
            return await deals.CreateAsync(orders, spec, cancellationToken);
        }
        catch (Exception ex) when (ex is MatchedDealException or OperationCanceledException)
        {
            // Nothing was created: the book gets its volume back, so the refused match leaves it as it was.
            await grains.OrderBook().ReleaseAsync(consumption);
            throw ex is MatchedDealException
                ? new RpcException(new Status(StatusCode.Unavailable, $"the matched deal was not created: {ex.Message} (the book is unchanged; send the match again)"))
                : new RpcException(new Status(StatusCode.Cancelled, "the match was cancelled before its deal was created (the book is unchanged)"));
        }
    }

    /// <summary>The book's app, dataset and workerpool orders the match names (by hash, or the first open one of each asset).</summary>
    private async Task<(BookOrder App, BookOrder? Dataset, BookOrder Pool)> HeldOrdersAsync(Proto.MatchOrdersRequest request, RequestOrder order)
    {
        var app = await HeldAsync(request.AppOrder, "app_order", BookOrderKind.App, order.App);
        var dataset = order.Dataset.IsZero && string.IsNullOrEmpty(request.DatasetOrder)
            ? null
            : await HeldAsync(request.DatasetOrder, "dataset_order", BookOrderKind.Dataset, order.Dataset);
        var pool = await HeldAsync(request.WorkerpoolOrder, "workerpool_order", BookOrderKind.Workerpool, order.Workerpool.IsZero ? writes.Pool : order.Workerpool);
        return (app, dataset, pool);
    }

    private async Task<BookOrder> HeldAsync(string hashText, string field, BookOrderKind kind, Address asset)
    {
        var book = grains.OrderBook();
        if (!string.IsNullOrEmpty(hashText))
        {
            var hash = Require.Hash(hashText, field);
            var held = await book.GetAsync(hash) ?? throw Require.NotFound($"{field}: order {hash} is not in the book (rule: only published orders are matched here)");
            return held.Kind == kind ? held : throw Require.Invalid($"{field}: order {hash} is a {held.Kind} order, not a {kind} order");
        }

        var open = await book.ListAsync(kind, asset, Hash32.Zero, 1);
        return open.Count == 1 ? open[0]
            : throw Require.NotFound($"{field}: the book holds no open {kind.ToString().ToLowerInvariant()} order of {asset.ToLowerHex()} (rule: a request is matched with published orders; `orchestrator order list`)");
    }

    /// <summary>The deal the hub's matchOrders creates: the request's terms, the pool order's price, tasks botFirst..botFirst+volume-1.</summary>
    private DealSpecMessage Spec(OrderSet orders, OrderMatch match)
    {
        var request = orders.Request;
        if (!TeeTag.TryFromBytes32(match.Tag, out var tag, out var tagError))
        {
            throw Require.Invalid($"InvalidTag: {tagError}");
        }

        if (match.Volume > DealSpec.MaxBotSize)
        {
            throw Require.Invalid($"BotOutOfRange: the match would create a deal of {match.Volume} tasks, more than this pool runs in one deal ({DealSpec.MaxBotSize}) (rule: a request's volume ≤ {DealSpec.MaxBotSize} per match)");
        }

        var parameters = request.Params;
        if (!Domain.Secrets.RequesterSecretParams.TryRead(parameters, out var selection, out var selectionError))
        {
            throw Require.Invalid($"request.{selectionError}");
        }

        return new DealSpecMessage(
            match.DealId, request.Requester, request.App, request.Dataset, (int)request.Category, (int)request.Trust, tag,
            (long)match.BotFirst, (int)match.Volume, orders.Workerpool.WorkerpoolPrice, time.GetUtcNow(), 1, 512, false, parameters, [])
        {
            Callback = request.Callback,
            RequesterSecrets = selection,
        };
    }

    private static RpcException Refused(string rule, string message) => new(new Status(rule switch
    {
        nameof(OrderRule.BadOrderSignature) => StatusCode.Unauthenticated,
        nameof(OrderRule.UnknownAsset) => StatusCode.NotFound,
        nameof(OrderRule.VolumeExhausted) or "InsufficientBalance" => StatusCode.FailedPrecondition,
        _ => StatusCode.InvalidArgument,
    }, message));

    private static RpcException Refused(OrderRule rule, string message) => Refused(rule.ToString(), message);

    private static string RuleOf(string refusal) => refusal.Split(':', 2)[0];

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
