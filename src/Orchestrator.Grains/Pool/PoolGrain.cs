using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Pool;

/// <summary>The workerpool's persisted state (state name "pool").</summary>
[GenerateSerializer, Alias("orch.state.pool.v1")]
public sealed class PoolGrainState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public PoolPolicy? Policy { get; set; }
    [Id(2)] public HashSet<Address> Authorized { get; set; } = [];
    [Id(3)] public HashSet<Address> Seen { get; set; } = [];
    [Id(4)] public HashSet<Address> Revoked { get; set; } = [];
}

/// <summary>The workerpool: authorizations and policy. Touched at registration and by the owner, never per task.</summary>
public sealed class PoolGrain : Grain, IPoolGrain
{
    // Sightings are written behind, once a second at most: each write serializes every address the
    // pool knows, so writing per registration made 10,000 workers joining cost quadratic time. A
    // sighting lost with a silo is added again at the worker's next registration (every registration
    // reports it), and the set only lists workers; it decides nothing.
    private static readonly TimeSpan SightingsInterval = TimeSpan.FromSeconds(1);
    private readonly IPersistentState<PoolGrainState> _state;
    private readonly CoalescedWrites<PoolGrainState> _writes;

    public PoolGrain([PersistentState("pool", StorageNames.Default)] IPersistentState<PoolGrainState> state, ILogger<PoolGrain> logger)
    {
        _state = state;
        _writes = new CoalescedWrites<PoolGrainState>(state, this, SightingsInterval, logger);
    }

    public Task<PoolPolicy> GetPolicyAsync() => Task.FromResult(Policy);

    public async Task SetPolicyAsync(PoolPolicy policy)
    {
        if (policy.MaxReplicatesPerWorker is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(policy), "maxReplicatesPerWorker must be 1..1024");
        }

        _state.State.Policy = policy;
        await _writes.WriteNowAsync();
    }

    public async Task AuthorizeAsync(IReadOnlyList<Address> workers)
    {
        foreach (var worker in workers)
        {
            _state.State.Authorized.Add(worker);
            _state.State.Revoked.Remove(worker);
        }

        await _writes.WriteNowAsync();
    }

    public async Task RevokeAsync(IReadOnlyList<Address> workers)
    {
        foreach (var worker in workers)
        {
            _state.State.Authorized.Remove(worker);
            _state.State.Revoked.Add(worker);
        }

        await _writes.WriteNowAsync();
        await Task.WhenAll(workers.Select(w => GrainFactory.Worker(w).RevokeAsync()));
    }

    public Task<bool> IsAuthorizedAsync(Address worker) => Task.FromResult(Admits(worker));

    public Task<PoolAdmission> AdmitAsync(Address worker)
    {
        var authorized = Admits(worker);
        if (authorized)
        {
            Sighted(worker);
        }

        return Task.FromResult(new PoolAdmission(authorized, Policy));
    }

    public Task<IReadOnlyList<Address>> ListWorkersAsync() => Task.FromResult<IReadOnlyList<Address>>(_state.State.Seen.ToList());

    // Flushed on a graceful stop too: the next activation (on another silo) would miss these sightings.
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _writes.FlushOnDeactivateAsync(cancellationToken);

    private PoolPolicy Policy => _state.State.Policy ?? PoolPolicy.Default;

    private bool Admits(Address worker)
        => !_state.State.Revoked.Contains(worker) && (Policy.AuthorizeAnyWorker || _state.State.Authorized.Contains(worker));

    private void Sighted(Address worker)
    {
        if (_state.State.Seen.Add(worker))
        {
            _writes.MarkDirty();
        }
    }
}
