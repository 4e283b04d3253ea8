using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>
/// orchestrator.orders.v1.OrderBook: public reads of the off-chain order book, and app and dataset owners' own
/// orders, authenticated by their EIP-712 signatures rather than a token.
/// </summary>
internal sealed class OrderBookService(IGrainFactory grains, OrderBookWrites writes, OrderMatches matches) : Proto.OrderBook.OrderBookBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 100;

    public override Task<Proto.Domain> GetDomain(Proto.GetDomainRequest request, ServerCallContext context)
    {
        var (chainId, hub) = writes.Domain();
        return Task.FromResult(new Proto.Domain { Name = OrderDomain.Name, Version = OrderDomain.Version, ChainId = chainId, VerifyingContract = hub.ToLowerHex() });
    }

    public override async Task<Proto.ListOrdersReply> ListOrders(Proto.ListOrdersRequest request, ServerCallContext context)
    {
        var size = request.PageSize == 0 ? DefaultPageSize : Require.Range(request.PageSize, 1, MaxPageSize, "page_size");
        BookOrderKind? kind = request.Kind == Proto.OrderKind.Unspecified ? null : (BookOrderKind)(int)Require.Defined(request.Kind, "kind");
        Address? asset = string.IsNullOrEmpty(request.Asset) ? null : Require.Address(request.Asset, "asset");
        var after = string.IsNullOrEmpty(request.PageToken) ? Hash32.Zero : Require.Hash(request.PageToken, "page_token");

        // One more than the page tells whether another page follows without a second call.
        var orders = await grains.OrderBook().ListAsync(kind, asset, after, size + 1);
        var reply = new Proto.ListOrdersReply();
        reply.Orders.AddRange(orders.Take(size).Select(OrderBookRequests.ToProto));
        reply.NextPageToken = orders.Count > size ? orders[size - 1].Digest.ToString() : string.Empty;
        return reply;
    }

    public override async Task<Proto.BookOrder> GetOrder(Proto.GetOrderRequest request, ServerCallContext context)
    {
        var hash = Require.Hash(request.Hash, "hash");
        return await grains.OrderBook().GetAsync(hash) is { } order
            ? OrderBookRequests.ToProto(order)
            : throw Require.NotFound($"order {hash} is not in the book (rule: only published orders are read here)");
    }

    public override Task<Proto.BookOrder> PublishOrder(Proto.PublishOrderRequest request, ServerCallContext context)
        => writes.PublishAsync(request.Order, request.ExpiresAt, asPool: false);

    public override Task<Proto.MatchOrdersReply> MatchOrders(Proto.MatchOrdersRequest request, ServerCallContext context)
        => matches.MatchAsync(request, context.CancellationToken);

    public override Task<Proto.BookOrder> CancelOrder(Proto.CancelOrderRequest request, ServerCallContext context)
    {
        if (request.Signature.Length != 65)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"signature: the owner's 65-byte OrderCancellation signature is required, got {request.Signature.Length} bytes"));
        }

        return writes.CancelAsync(request.Hash, request.Signature);
    }
}
