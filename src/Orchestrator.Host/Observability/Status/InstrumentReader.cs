using System.Diagnostics.Metrics;

namespace Orchestrator.Host.Observability.Status;

/// <summary>
/// Reads the current values of a few of this process's own gauges (chain lag, pending transactions,
/// tasks by status, queue depth) for the status page, through a <see cref="MeterListener"/>: the same
/// numbers the exporters see, without a second bookkeeping path.
/// </summary>
public sealed class InstrumentReader : IDisposable
{
    /// <summary>The instruments read.</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal)
    {
        "orchestrator.chain.lag_blocks",
        "orchestrator.bridge.pending_transactions",
        "orchestrator.tasks",
        "orchestrator.dispatch.queue_depth",
    };

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private Dictionary<string, List<(string? Tag, long Value)>> _current = [];

    public InstrumentReader()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Orchestrator.", StringComparison.Ordinal) && Names.Contains(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tag = tags.Length > 0 ? tags[0].Value as string : null;
            if (!_current.TryGetValue(instrument.Name, out var list))
            {
                _current[instrument.Name] = list = [];
            }

            list.Add((tag, value));
        });
        _listener.Start();
    }

    /// <summary>Observes the gauges now: instrument name → (first tag's value, measurement).</summary>
    public IReadOnlyDictionary<string, List<(string? Tag, long Value)>> Read()
    {
        lock (_gate)
        {
            _current = [];
            _listener.RecordObservableInstruments();
            return _current;
        }
    }

    public void Dispose() => _listener.Dispose();
}
