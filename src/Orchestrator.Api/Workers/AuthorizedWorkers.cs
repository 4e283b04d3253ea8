using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Workers;

/// <summary>
/// This process's view of the workers the pool knows: those that registered (the pool's listing),
/// refreshed from the pool grain at most once a second. Uploads and secret fetches from any other
/// address are refused before a grain of theirs (task, worker, task secrets) activates, so a stranger
/// with a throwaway key costs no activation and no write; a known worker is then checked against the
/// pool's current authorization (revocations take effect at once).
/// </summary>
public sealed class AuthorizedWorkers(IGrainFactory grains, TimeProvider time)
{
    /// <summary>The shortest time between two refreshes of the listing.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private HashSet<Address> _known = [];
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;
    private Task? _refreshing;

    /// <summary>
    /// Whether <paramref name="worker"/> registered with the pool and is authorized now. An address missing
    /// from the view waits for the next refresh (at most <see cref="RefreshInterval"/>), so a worker that
    /// registered a moment ago is not turned away.
    /// </summary>
    public async Task<bool> IsAuthorizedAsync(Address worker, CancellationToken cancellationToken)
    {
        if (!Known(worker))
        {
            await NextRefreshAsync(cancellationToken).ConfigureAwait(false);
            if (!Known(worker))
            {
                return false;
            }
        }

        return await grains.Pool().IsAuthorizedAsync(worker).ConfigureAwait(false);
    }

    private bool Known(Address worker)
    {
        lock (_lock)
        {
            return _known.Contains(worker);
        }
    }

    private Task NextRefreshAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_refreshing is { IsCompleted: false } pending)
            {
                return pending.WaitAsync(cancellationToken);
            }

            var wait = _refreshedAt + RefreshInterval - time.GetUtcNow();
            _refreshing = RefreshAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            return _refreshing.WaitAsync(cancellationToken);
        }
    }

    private async Task RefreshAsync(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time).ConfigureAwait(false);
        }

        try
        {
            var listed = await grains.Pool().ListWorkersAsync().ConfigureAwait(false);
            var known = listed.ToHashSet();
            lock (_lock)
            {
                _known = known;
            }
        }
        finally
        {
            // A failed refresh counts too: while the pool grain is failing, strangers' calls must not
            // turn into one pool call each.
            lock (_lock)
            {
                _refreshedAt = time.GetUtcNow();
            }
        }
    }
}
