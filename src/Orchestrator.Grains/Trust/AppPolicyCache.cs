using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Grains.Trust;

/// <summary>
/// A per-silo cache of app policies (absent ones too), so a take or a fetch does not call the app's
/// policy grain every time. Entries live <see cref="AttestationOptions.PolicyCacheTtl"/> (monotonic
/// time: an infrastructure delay, not protocol time); a change made on this silo applies at once.
/// </summary>
public sealed class AppPolicyCache(IGrainFactory grains, IOptions<AttestationOptions> options)
{
    private readonly ConcurrentDictionary<Address, (AppAttestationPolicy? Policy, long LoadedAt)> _entries = new();
    private (PoolPolicy Policy, long LoadedAt)? _pool;

    // A registered version never changes: its policy is cached for the silo's life (a deal pins one version).
    private readonly ConcurrentDictionary<(Address App, int Version), AppAttestationPolicy?> _versions = new();

    /// <summary>
    /// The policy of the app version a deal pinned (<paramref name="version"/> ≥ 1), or the app's
    /// current policy for a deal that pinned none (0: an app set up outside the registry); null when it has none.
    /// </summary>
    public async ValueTask<AppAttestationPolicy?> GetAsync(Address app, int version)
    {
        if (version <= 0)
        {
            return await GetAsync(app);
        }

        if (_versions.TryGetValue((app, version), out var cached))
        {
            return cached;
        }

        var record = await grains.AppRegistry(app).GetAsync();
        var policy = record is not null && version <= record.Versions.Count ? record.Versions[version - 1].Policy : null;
        if (policy is not null)
        {
            _versions[(app, version)] = policy; // an absent version is asked again: it may be registered on another silo now
        }

        return policy;
    }

    /// <summary>The app's current policy, or null when it has none.</summary>
    public async ValueTask<AppAttestationPolicy?> GetAsync(Address app)
    {
        var now = Environment.TickCount64;
        if (_entries.TryGetValue(app, out var entry) && now - entry.LoadedAt < (long)options.Value.PolicyCacheTtl.TotalMilliseconds)
        {
            return entry.Policy;
        }

        var policy = await grains.AppPolicy(app).GetAsync();
        _entries[app] = (policy, now);
        return policy;
    }

    /// <summary>
    /// The pool's policy (its simulation rule), so a pool that stops allowing simulated TEE stops
    /// admitting simulated workers within one cache period, without waiting for them to re-register.
    /// </summary>
    public async ValueTask<PoolPolicy> GetPoolPolicyAsync()
    {
        var now = Environment.TickCount64;
        if (_pool is { } entry && now - entry.LoadedAt < (long)options.Value.PolicyCacheTtl.TotalMilliseconds)
        {
            return entry.Policy;
        }

        var policy = await grains.Pool().GetPolicyAsync();
        _pool = (policy, now);
        return policy;
    }

    /// <summary>Replaces the cached entry (called by the policy grain on this silo when it changes).</summary>
    public void Update(Address app, AppAttestationPolicy? policy) => _entries[app] = (policy, Environment.TickCount64);
}
