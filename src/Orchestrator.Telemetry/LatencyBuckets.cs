using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>Histogram buckets for task latencies: from tens of milliseconds (TEE fast path) to the XL category's ten hours.</summary>
public static class LatencyBuckets
{
    /// <summary>Bucket boundaries in seconds.</summary>
    public static IReadOnlyList<double> Seconds { get; } =
        [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600, 10800, 36000];

    /// <summary>The advice passed to the histograms (the SDK uses it unless a view overrides it).</summary>
    public static InstrumentAdvice<double> Advice { get; } = new() { HistogramBucketBoundaries = Seconds };
}
