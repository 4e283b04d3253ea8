using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Attestation.Providers;

namespace Orchestrator.Grains.Trust;

/// <summary>
/// Tells every worker of the pool that this silo's collateral changed, so each TEE session judges its kept
/// quote again at once (one-way calls, in chunks). A worker whose verdict was made with the new collateral
/// already, or that has no TEE session, returns without work: the call is idempotent, and every silo's
/// refresher may send it. Workers judge with their own silo's cache, which sees the change within one
/// refresh interval of the others; its own refresher then tells them again.
/// </summary>
public sealed partial class CollateralChangeFanOut(IServiceProvider services, ILogger<CollateralChangeFanOut> logger)
{
    private const int Chunk = 256;

    /// <summary>Fans the change out; returns how many workers were told.</summary>
    public async Task<int> NotifyAsync(IReadOnlyList<CollateralChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0 || services.GetService<IGrainFactory>() is not { } grains)
        {
            return 0;
        }

        foreach (var change in changes)
        {
            LogChanged(logger, change.Key, change.Previous?.ToString() ?? "none", change.Current?.ToString() ?? "unreadable");
        }

        var workers = await grains.Pool().ListWorkersAsync().ConfigureAwait(false);
        foreach (var chunk in workers.Chunk(Chunk))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.WhenAll(chunk.Select(w => grains.Worker(w).ReviewAttestationAsync())).ConfigureAwait(false);
        }

        return workers.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collateral {Key} changed ({Previous} -> {Current}): every TEE session's verdict is judged again")]
    private static partial void LogChanged(ILogger logger, string key, string previous, string current);
}
