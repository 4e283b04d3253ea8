using MassTransit;
using Orchestrator.Abstractions.Events;

namespace Orchestrator.Bridge.Bus;

/// <summary>
/// The production bus: each event is published to its type's exchange on RabbitMQ. MassTransit's
/// RabbitMQ transport waits for the broker's publisher confirm before the publish completes, so a
/// completed <see cref="PublishAsync"/> means the broker has the message in a durable exchange and
/// its bound durable queues; only then does the outbox clear it. Trace context travels in the
/// message headers (MassTransit's "MassTransit" activity source).
/// </summary>
public sealed class MassTransitEventBus(IBus bus) : IEventBus
{
    /// <inheritdoc />
    public async Task PublishAsync(IReadOnlyList<IIntegrationEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        // Published concurrently: the confirms arrive together instead of one round trip each.
        await Task.WhenAll(events.Select(e => bus.Publish(e, e.GetType(), Headers(e), cancellationToken))).ConfigureAwait(false);
    }

    private static IPipe<PublishContext> Headers(IIntegrationEvent integrationEvent) => Pipe.Execute<PublishContext>(context =>
    {
        context.Durable = true;
        // The event's own id travels as a header too, so operators can find every delivery of one event.
        context.Headers.Set(EventIdHeader, integrationEvent.EventId);
    });

    /// <summary>The header carrying <see cref="IIntegrationEvent.EventId"/>.</summary>
    public const string EventIdHeader = "orch-event-id";
}
