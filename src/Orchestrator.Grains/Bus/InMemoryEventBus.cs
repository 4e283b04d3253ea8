using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Events;

namespace Orchestrator.Grains.Bus;

/// <summary>Handles events of the bus. Handlers must be idempotent by <see cref="IIntegrationEvent.EventId"/>.</summary>
public interface IIntegrationEventHandler
{
    /// <summary>Handles one event.</summary>
    Task HandleAsync(IIntegrationEvent integrationEvent, CancellationToken cancellationToken);
}

/// <summary>
/// The embedded bus: events are queued in memory and delivered to every registered handler on a
/// background loop, so a grain turn never waits for consumers. Lost with the process, like the rest
/// of the embedded mode.
/// </summary>
public sealed partial class InMemoryEventBus(IEnumerable<IIntegrationEventHandler> handlers, ILogger<InMemoryEventBus> logger)
    : BackgroundService, IEventBus
{
    private readonly Channel<IIntegrationEvent> _queue = Channel.CreateUnbounded<IIntegrationEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IIntegrationEventHandler[] _handlers = handlers.ToArray();

    /// <inheritdoc />
    public Task PublishAsync(IReadOnlyList<IIntegrationEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var integrationEvent in events)
        {
            if (!_queue.Writer.TryWrite(integrationEvent))
            {
                throw new InvalidOperationException("the in-memory bus is stopped");
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var integrationEvent in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
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
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler {Handler} failed on event {EventId}")]
    private static partial void LogHandlerFailed(ILogger logger, string eventId, string handler, Exception exception);
}
