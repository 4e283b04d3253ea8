using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Events;

namespace Orchestrator.Bridge.Bus;

/// <summary>
/// The embedded bus, beside <see cref="MassTransitEventBus"/> behind the same <see cref="IEventBus"/>: events are queued in memory and delivered to every registered handler on a
/// background loop. <see cref="PublishAsync"/> completes only once every handler has handled the
/// events (and fails if one threw), because this bus has no durable queue: "accepted" can only mean
/// "handled". The outbox clears an event on that completion, so an event whose handling failed or
/// never happened stays in the grain's persisted outbox and is published again (at least once).
/// </summary>
public sealed partial class InMemoryEventBus(IEnumerable<IIntegrationEventHandler> handlers, ILogger<InMemoryEventBus> logger)
    : BackgroundService, IEventBus
{
    private readonly Channel<Delivery> _queue = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IIntegrationEventHandler[] _handlers = handlers.ToArray();

    /// <inheritdoc />
    public Task PublishAsync(IReadOnlyList<IIntegrationEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        var delivery = new Delivery(events, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(delivery))
        {
            throw new InvalidOperationException("the in-memory bus is stopped");
        }

        return delivery.Handled.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var delivery in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                List<Exception>? failures = null;
                foreach (var integrationEvent in delivery.Events)
                {
                    foreach (var handler in _handlers)
                    {
                        try
                        {
                            await handler.HandleAsync(integrationEvent, stoppingToken).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            LogHandlerFailed(logger, integrationEvent.EventId, handler.GetType().Name, ex);
                            (failures ??= []).Add(ex);
                        }
                    }
                }

                if (failures is null)
                {
                    delivery.Handled.TrySetResult();
                }
                else
                {
                    delivery.Handled.TrySetException(new AggregateException("a handler of the in-memory bus failed; the events stay in the outbox", failures));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Publishers still waiting keep their events in their outbox: they are retried later.
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var pending))
            {
                pending.Handled.TrySetCanceled(CancellationToken.None);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler {Handler} failed on event {EventId}")]
    private static partial void LogHandlerFailed(ILogger logger, string eventId, string handler, Exception exception);

    private sealed record Delivery(IReadOnlyList<IIntegrationEvent> Events, TaskCompletionSource Handled);
}
