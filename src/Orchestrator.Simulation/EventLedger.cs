using System.Collections.Concurrent;
using Orchestrator.Abstractions.Events;

namespace Orchestrator.Simulation;

/// <summary>
/// An idempotent consumer that records each distinct event once (by id) and counts duplicates.
/// The demo's summary and the tests read it; it is also the model every real consumer follows.
/// </summary>
public sealed class EventLedger : IIntegrationEventHandler
{
    private readonly ConcurrentDictionary<string, IIntegrationEvent> _seen = new();
    private long _duplicates;

    /// <summary>Distinct events seen.</summary>
    public IReadOnlyCollection<IIntegrationEvent> Events => (IReadOnlyCollection<IIntegrationEvent>)_seen.Values;

    /// <summary>Deliveries of an event already seen (at-least-once delivery at work).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Distinct events of one type.</summary>
    public IEnumerable<T> OfType<T>() where T : IIntegrationEvent => _seen.Values.OfType<T>();

    /// <inheritdoc />
    public Task HandleAsync(IIntegrationEvent integrationEvent, CancellationToken cancellationToken)
    {
        if (!_seen.TryAdd(integrationEvent.EventId, integrationEvent))
        {
            Interlocked.Increment(ref _duplicates);
        }

        return Task.CompletedTask;
    }
}
