using System.Diagnostics.Metrics;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>
/// Counts the grain state writes that failed in this process (Orleans' own "orleans-storage-write-errors"
/// instrument): how a test knows the cluster has felt an outage without sleeping through one.
/// </summary>
public sealed class StorageWriteErrors : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    /// <summary>Starts counting.</summary>
    public StorageWriteErrors()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.Orleans" && instrument.Name == "orleans-storage-write-errors")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) => Interlocked.Add(ref _count, value));
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
        _listener.Start();
    }

    /// <summary>Failed writes so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
