namespace Orchestrator.Bridge.Leadership;

/// <summary>Leases of the embedded (single-process) bridge, with the same rules as the PostgreSQL table.</summary>
public sealed class InMemoryLeaseStore(TimeProvider time) : ILeaseStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Holder, long Token, DateTimeOffset ExpiresAt)> _leases = [];

    /// <inheritdoc />
    public Task<LeaseGrant?> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (!_leases.TryGetValue(name, out var lease))
            {
                _leases[name] = (holder, 1, now + duration);
                return Task.FromResult<LeaseGrant?>(new LeaseGrant(name, holder, 1));
            }

            var running = lease.ExpiresAt > now;
            if (running && lease.Holder != holder)
            {
                return Task.FromResult<LeaseGrant?>(null);
            }

            var token = running ? lease.Token : lease.Token + 1;
            _leases[name] = (holder, token, now + duration);
            return Task.FromResult<LeaseGrant?>(new LeaseGrant(name, holder, token));
        }
    }

    /// <inheritdoc />
    public Task ReleaseAsync(string name, string holder, long token, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_leases.TryGetValue(name, out var lease) && lease.Holder == holder && lease.Token == token)
            {
                _leases[name] = lease with { ExpiresAt = time.GetUtcNow() };
            }
        }

        return Task.CompletedTask;
    }
}
