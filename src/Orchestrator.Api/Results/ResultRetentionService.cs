using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Telemetry;

namespace Orchestrator.Api.Results;

/// <summary>
/// Deletes the bytes of results and logs older than <see cref="ResultsOptions.Retention"/>, at start and
/// then every <see cref="ResultsOptions.SweepInterval"/> on the injected clock, leaving tombstones so a
/// late download learns when its result expired. Counts what it freed in <c>orchestrator.results.expired</c>
/// and <c>orchestrator.results.expired_bytes</c>. Every silo serving the API sweeps: the PostgreSQL sweep
/// skips rows another silo holds, and expiring an object twice frees nothing twice.
/// </summary>
public sealed partial class ResultRetentionService(IResultStore store, IOptions<ResultsOptions> options, TimeProvider time, ILogger<ResultRetentionService> logger) : BackgroundService
{
    /// <summary>The words a download answers for a tombstone (NOT_FOUND), shared by every download path (the owner's and the requester's).</summary>
    /// <param name="tombstone">The expired object.</param>
    /// <param name="retention">The pool's retention period.</param>
    /// <param name="what">"result" or "logs".</param>
    public static string ExpiredMessage(StoredResult tombstone, TimeSpan retention, string what = "result")
        => $"the {what} of task {tombstone.TaskId} expired on {tombstone.ExpiredAt:yyyy-MM-dd} (retention {Days(retention)} days)";

    /// <summary>One sweep: batches until a batch comes back short; returns the total.</summary>
    public async Task<ResultSweep> SweepAsync(CancellationToken cancellationToken)
    {
        var retention = options.Value.Retention;
        if (retention <= TimeSpan.Zero)
        {
            return new ResultSweep(0, 0, 0); // kept forever
        }

        var batch = Math.Max(1, options.Value.SweepBatch);
        var cutoff = time.GetUtcNow() - retention;
        var total = new ResultSweep(0, 0, 0);
        while (true)
        {
            var swept = await store.DeleteExpiredAsync(cutoff, batch, cancellationToken).ConfigureAwait(false);
            GrainsTelemetry.ResultsExpired.Add(swept.Results, new KeyValuePair<string, object?>("kind", "result"));
            GrainsTelemetry.ResultsExpired.Add(swept.Logs, new KeyValuePair<string, object?>("kind", "logs"));
            GrainsTelemetry.ResultsExpiredBytes.Add(swept.Bytes);
            total = new ResultSweep(total.Results + swept.Results, total.Logs + swept.Logs, total.Bytes + swept.Bytes);
            if (swept.Objects < batch)
            {
                break;
            }
        }

        if (total.Objects > 0)
        {
            LogSwept(logger, total.Results, total.Logs, total.Bytes, Days(retention));
        }

        return total;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Retention <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // A store outage must not end the sweeping: the next tick tries again.
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static string Days(TimeSpan retention) => retention.TotalDays.ToString("0.##", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention sweep deleted {Results} results and {Logs} logs ({Bytes} bytes) older than {Days} days")]
    private static partial void LogSwept(ILogger logger, int results, int logs, long bytes, string days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention sweep failed; retried at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
