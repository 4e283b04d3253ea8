using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Events;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Bus;

/// <summary>
/// Publishes a grain's outbox after its state write. The outbox lives in the grain's persisted state,
/// so a publish that fails (or a silo that dies first) is retried at the next activation: at least once.
/// </summary>
public sealed partial class OutboxPublisher(IEventBus bus, ILogger<OutboxPublisher> logger)
{
    /// <summary>Publishes and clears <paramref name="outbox"/> on success; keeps it on failure.</summary>
    public async Task PublishAsync(List<IIntegrationEvent> outbox)
    {
        if (outbox.Count == 0)
        {
            return;
        }

        try
        {
            await bus.PublishAsync(outbox.ToArray()).ConfigureAwait(true);
            foreach (var published in outbox)
            {
                GrainsTelemetry.OutboxPublished.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Event, published.GetType().Name));
            }

            outbox.Clear();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, outbox.Count, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} outbox events failed; they stay in the outbox and are retried")]
    private static partial void LogPublishFailed(ILogger logger, int count, Exception exception);
}
