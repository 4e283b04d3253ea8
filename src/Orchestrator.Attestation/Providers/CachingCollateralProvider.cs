using System.Collections.Concurrent;
using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Attestation.Providers;

/// <summary>Tuning of <see cref="CachingCollateralProvider"/>.</summary>
public sealed record CollateralCacheOptions
{
    /// <summary>Refresh an entry this long before its earliest nextUpdate (default 6 hours; PCS collateral lives ~30 days).</summary>
    public TimeSpan RefreshAhead { get; init; } = TimeSpan.FromHours(6);

    /// <summary>After a failed background refresh, wait this long before trying again (default 5 minutes).</summary>
    public TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Fetch an entry again at least this often even far from its nextUpdate (default 1 hour): Intel publishes
    /// a new TCB info (a TCB recovery) or a CRL revoking a PCK long before the old one expires, and a cache that
    /// waited for nextUpdate would keep judging with month-old collateral.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>Outcome of one <see cref="CachingCollateralProvider.RefreshDueAsync"/> pass.</summary>
/// <param name="Refreshed">Keys fetched anew.</param>
/// <param name="Failed">Keys whose refresh failed (the old collateral stays served until its nextUpdate).</param>
/// <param name="Changed">Refreshed keys whose collateral changed (another <see cref="CollateralVersion"/>: a new TCB info, QE identity or CRL).</param>
public sealed record CollateralRefreshReport(IReadOnlyList<string> Refreshed, IReadOnlyList<string> Failed, IReadOnlyList<CollateralChange> Changed);

/// <summary>A cache key whose collateral changed at a refresh.</summary>
/// <param name="Key">The cache key (<see cref="CollateralRequest.Key"/>).</param>
/// <param name="Request">What the collateral is for (TEE kind, FMSPC, PCK CA).</param>
/// <param name="Previous">The version served until now (null when it could not be read).</param>
/// <param name="Current">The version served from now on.</param>
public sealed record CollateralChange(string Key, CollateralRequest Request, CollateralVersion? Previous, CollateralVersion? Current);

/// <summary>
/// Caches collateral per <see cref="CollateralRequest.Key"/> until its earliest nextUpdate
/// (<see cref="QuoteCollateral.EarliestNextUpdate"/>), and refreshes entries ahead of that when
/// <see cref="RefreshDueAsync"/> is called — a host calls it periodically (e.g. every
/// <see cref="NextRefreshDue"/>), so no hosted service is baked in. Time comes from a <see cref="TimeProvider"/>.
/// Expired entries are never served: a request for one fetches anew.
/// </summary>
public sealed class CachingCollateralProvider : ICollateralProvider
{
    private readonly ICollateralProvider _inner;
    private readonly TimeProvider _time;
    private readonly CollateralCacheOptions _options;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fetchLocks = new(StringComparer.Ordinal);

    /// <summary>Creates the cache in front of <paramref name="inner"/>.</summary>
    public CachingCollateralProvider(ICollateralProvider inner, TimeProvider time, CollateralCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(time);
        _inner = inner;
        _time = time;
        _options = options ?? new CollateralCacheOptions();
    }

    /// <summary>Number of cached entries.</summary>
    public int Count => _entries.Count;

    /// <summary>The earliest instant at which some entry is due for refresh, or null when the cache is empty.</summary>
    public DateTimeOffset? NextRefreshDue => _entries.IsEmpty ? null : _entries.Values.Min(e => e.RefreshAt);

    /// <summary>The earliest nextUpdate of the cached collateral for a key, or null when not cached.</summary>
    public DateTimeOffset? ExpiryOf(CollateralRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ExpiryOfKey(request.Key);
    }

    /// <summary>The earliest nextUpdate of the cached collateral under a cache key, or null when not cached.</summary>
    public DateTimeOffset? ExpiryOfKey(string key) => _entries.TryGetValue(key, out var e) ? e.ExpiresAt : null;

    /// <inheritdoc />
    public async Task<QuoteCollateral> GetCollateralAsync(CollateralRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (TryFresh(request.Key, out var cached))
        {
            return cached;
        }

        var gate = _fetchLocks.GetOrAdd(request.Key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have fetched while we waited: one fetch per key at a time.
            return TryFresh(request.Key, out cached) ? cached : await FetchAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Refreshes every entry whose refresh time has come; failures keep the old entry (until it expires) and are retried later.</summary>
    public async Task<CollateralRefreshReport> RefreshDueAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var refreshed = new List<string>();
        var failed = new List<string>();
        var changed = new List<CollateralChange>();
        foreach (var (key, entry) in _entries.ToArray())
        {
            if (entry.RefreshAt > now)
            {
                continue;
            }

            try
            {
                var fresh = await FetchAsync(entry.Request, cancellationToken).ConfigureAwait(false);
                refreshed.Add(key);
                var (before, after) = (VersionOf(entry.Collateral), VersionOf(fresh));
                if (before != after)
                {
                    changed.Add(new CollateralChange(key, entry.Request, before, after));
                }
            }
            catch (CollateralUnavailableException)
            {
                failed.Add(key);
                if (now >= entry.ExpiresAt)
                {
                    _entries.TryRemove(key, out _);
                }
                else
                {
                    _entries[key] = entry with { RefreshAt = Min(now + _options.RetryAfterFailure, entry.ExpiresAt) };
                }
            }
        }

        return new CollateralRefreshReport(refreshed, failed, changed);
    }

    private static CollateralVersion? VersionOf(QuoteCollateral collateral)
    {
        try
        {
            return CollateralVersion.Of(collateral);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private bool TryFresh(string key, out QuoteCollateral collateral)
    {
        if (_entries.TryGetValue(key, out var entry) && _time.GetUtcNow() < entry.ExpiresAt)
        {
            collateral = entry.Collateral;
            return true;
        }

        collateral = null!;
        return false;
    }

    private async Task<QuoteCollateral> FetchAsync(CollateralRequest request, CancellationToken cancellationToken)
    {
        var collateral = await _inner.GetCollateralAsync(request, cancellationToken).ConfigureAwait(false);
        DateTimeOffset expires;
        try
        {
            expires = collateral.EarliestNextUpdate();
        }
        catch (FormatException ex)
        {
            throw new CollateralUnavailableException($"collateral for {request.Key} cannot be decoded: {ex.Message}", ex);
        }

        var now = _time.GetUtcNow();
        var byAge = _options.MaxAge >= expires - now ? expires : now + _options.MaxAge;
        var refreshAt = Max(now, Min(expires - _options.RefreshAhead, byAge));
        _entries[request.Key] = new Entry(request, collateral, expires, refreshAt);
        return collateral;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed record Entry(CollateralRequest Request, QuoteCollateral Collateral, DateTimeOffset ExpiresAt, DateTimeOffset RefreshAt);
}
