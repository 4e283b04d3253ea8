using Grpc.Core;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Api.Orders;

/// <summary>orchestrator.orders.v1.OrderBookAdmin: the pool owner's orders (the bearer token is checked by <see cref="Security.AdminAuthInterceptor"/> before any call runs).</summary>
internal sealed class OrderBookAdminService(OrderBookWrites writes) : Proto.OrderBookAdmin.OrderBookAdminBase
{
    public override Task<Proto.BookOrder> PublishPoolOrder(Proto.PublishOrderRequest request, ServerCallContext context)
        => writes.PublishAsync(request.Order, request.ExpiresAt, asPool: true);

    public override Task<Proto.BookOrder> CancelPoolOrder(Proto.CancelPoolOrderRequest request, ServerCallContext context)
        => writes.CancelAsync(request.Hash, signature: null);
}
