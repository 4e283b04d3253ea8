using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Attestation.Providers;

namespace Orchestrator.Grains.Trust;

/// <summary>
/// Refreshes cached collateral in the background, ahead of its nextUpdate, so verification at
/// registration rarely waits on the PCCS and keeps working through short PCCS outages; when a refresh
/// brings new collateral (a TCB recovery, a new QE identity, a CRL revoking a PCK) every TEE session's
/// verdict is judged again at once (<see cref="CollateralChangeFanOut"/>). Time comes from the injected
/// <see cref="TimeProvider"/> (a fake clock drives it in tests).
/// </summary>
public sealed partial class CollateralRefreshService(
    CachingCollateralProvider cache,
    TimeProvider time,
    IOptions<AttestationOptions> options,
    ILogger<CollateralRefreshService> logger,
    CollateralChangeFanOut? fanOut = null) : BackgroundService
{
    /// <summary>Passes run so far (for tests and diagnostics).</summary>
    public int Passes => _passes;

    private int _passes;
    private PeriodicTimer? _timer;

    /// <summary>One pass: refreshes every entry that is due. Failures keep the old collateral until it expires.</summary>
    public async Task<CollateralRefreshReport> RefreshOnceAsync(CancellationToken cancellationToken)
    {
        var report = await cache.RefreshDueAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _passes);
        foreach (var key in report.Refreshed)
        {
            LogRefreshed(logger, key, cache.ExpiryOfKey(key));
        }

        foreach (var key in report.Failed)
        {
            LogRefreshFailed(logger, key);
        }

        if (fanOut is not null && report.Changed.Count > 0)
        {
            await fanOut.NotifyAsync(report.Changed, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>
    /// The pass timer exists from the moment the service starts, so a clock that moves while a pass
    /// runs (or before the background loop is first scheduled) still triggers the next pass: a
    /// periodic timer remembers a tick nobody was waiting for, a delay created afterwards would not.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer ??= new PeriodicTimer(options.Value.CollateralRefreshInterval, time);
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timer = _timer ?? throw new InvalidOperationException("The collateral refresher runs only once started.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RefreshOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && !stoppingToken.IsCancellationRequested)
                {
                    // A provider bug must not stop the refresher: the next pass tries again.
                    LogPassFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Collateral {Key} refreshed; valid until {NextUpdate}")]
    private static partial void LogRefreshed(ILogger logger, string key, DateTimeOffset? nextUpdate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collateral {Key} could not be refreshed; the cached copy is served until its nextUpdate")]
    private static partial void LogRefreshFailed(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Error, Message = "Collateral refresh pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
