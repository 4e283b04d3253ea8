using System.Diagnostics.Metrics;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>
/// Counts the HTTP client calls of this process to one loopback port that ended in an error (.NET's
/// own "http.client.request.duration" instrument, tagged error.type): how a test knows the bridge
/// has felt a frozen node without sleeping for longer than its timeout.
/// </summary>
public sealed class FailedHttpCalls : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    /// <summary>Starts counting the failed calls to <paramref name="port"/>.</summary>
    public FailedHttpCalls(int port)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            bool toPort = false, failed = false;
            foreach (var tag in tags)
            {
                toPort |= tag.Key == "server.port" && Equals(tag.Value, port);
                failed |= tag.Key == "error.type";
            }

            if (toPort && failed)
            {
                Interlocked.Increment(ref _count);
            }
        });
        _listener.Start();
    }

    /// <summary>Failed calls so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
