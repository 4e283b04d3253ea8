using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Events;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Bus;

/// <summary>
/// Publishes a grain's outbox after its state write. The outbox lives in the grain's persisted state
/// and is cleared (in memory; the next write persists the clearing) only once the bus has durably
/// accepted the events: a publisher confirm on RabbitMQ, every handler done on the in-memory bus.
/// A publish that fails is retried by a grain timer with backoff while the grain lives, and at the
/// next activation if it does not (the silo died between the write and the publish): at least once.
/// </summary>
public sealed partial class OutboxPublisher(IEventBus bus, ILogger<OutboxPublisher> logger)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CircuitOpen = TimeSpan.FromSeconds(2);
    private long _circuitOpenUntil;
    private readonly SharedTimeout _timeouts = new(TimeProvider.System);

    /// <summary>How long one publish may wait for the bus before it counts as failed (and is retried).</summary>
    public static TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    // One retry timer per outbox list (the list is the grain's state; it dies with the activation).
    private readonly ConditionalWeakTable<List<IIntegrationEvent>, RetryState> _retries = [];

    /// <summary>Publishes and clears <paramref name="outbox"/> on success; keeps it on failure.</summary>
    /// <param name="outbox">The grain's persisted outbox.</param>
    /// <param name="owner">The grain, so that a failed publish is retried by a timer of its own; without one, only the next activation retries.</param>
    /// <returns>True when the outbox is empty afterwards.</returns>
    public Task<bool> PublishAsync(List<IIntegrationEvent> outbox, IGrainBase? owner = null) => PublishAsync(outbox, owner, retry: false);

    private async Task<bool> PublishAsync(List<IIntegrationEvent> outbox, IGrainBase? owner, bool retry)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        if (outbox.Count == 0)
        {
            return true;
        }

        // Circuit breaker: while the bus has just failed, a grain turn does not wait on it again; its
        // timer retries (and one succeeding closes the circuit for everyone).
        if (!retry && owner is not null && Environment.TickCount64 < Interlocked.Read(ref _circuitOpenUntil))
        {
            ScheduleRetry(outbox, owner);
            return false;
        }

        var events = outbox.ToArray();
        try
        {
            await bus.PublishAsync(events, _timeouts.After(PublishTimeout)).ConfigureAwait(true);

            for (var i = 0; i < events.Length; i++)
            {
                GrainsTelemetry.OutboxPublished.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Event, events[i].GetType().Name));
            }

            // Events added while we awaited (a reentrant caller) stay for the next publish.
            outbox.RemoveRange(0, Math.Min(events.Length, outbox.Count));
            Interlocked.Exchange(ref _circuitOpenUntil, 0);
            if (_retries.TryGetValue(outbox, out var retryState))
            {
                retryState.Attempts = 0;
            }

            return outbox.Count == 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPublishFailed(logger, outbox.Count, ex);
            Interlocked.Exchange(ref _circuitOpenUntil, Environment.TickCount64 + (long)CircuitOpen.TotalMilliseconds);
            if (owner is not null)
            {
                ScheduleRetry(outbox, owner);
            }

            return false;
        }
    }

    private void ScheduleRetry(List<IIntegrationEvent> outbox, IGrainBase owner)
    {
        var retry = _retries.GetValue(outbox, _ => new RetryState());
        retry.Attempts++;
        if (retry.Timer is not null)
        {
            retry.Timer.Change(Backoff(retry.Attempts), Timeout.InfiniteTimeSpan);
            return;
        }

        retry.Timer = owner.RegisterGrainTimer(
            async (state, _) =>
            {
                if (await PublishAsync(state, owner, retry: true).ConfigureAwait(true) && _retries.TryGetValue(state, out var done))
                {
                    done.Timer?.Dispose();
                    done.Timer = null;
                }
            },
            outbox,
            new GrainTimerCreationOptions(Backoff(retry.Attempts), Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private static TimeSpan Backoff(int attempts)
        => TimeSpan.FromMilliseconds(Math.Min(LastRetry.TotalMilliseconds, FirstRetry.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 10))));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} outbox events failed; they stay in the outbox and are retried")]
    private static partial void LogPublishFailed(ILogger logger, int count, Exception exception);

    private sealed class RetryState
    {
        public int Attempts { get; set; }

        public IGrainTimer? Timer { get; set; }
    }
}
