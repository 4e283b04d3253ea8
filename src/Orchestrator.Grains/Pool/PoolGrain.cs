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
public sealed class PoolGrain(
    [PersistentState("pool", StorageNames.Default)] IPersistentState<PoolGrainState> state) : Grain, IPoolGrain
{
    private IGrainTimer? _seenTimer;

    public Task<PoolPolicy> GetPolicyAsync() => Task.FromResult(state.State.Policy ?? PoolPolicy.Default);

    public async Task SetPolicyAsync(PoolPolicy policy)
    {
        if (policy.MaxReplicatesPerWorker is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(policy), "maxReplicatesPerWorker must be 1..1024");
        }

        state.State.Policy = policy;
        await state.WriteOrResetAsync(this);
    }

    public async Task AuthorizeAsync(IReadOnlyList<Address> workers)
    {
        foreach (var worker in workers)
        {
            state.State.Authorized.Add(worker);
            state.State.Revoked.Remove(worker);
        }

        await state.WriteOrResetAsync(this);
    }

    public async Task RevokeAsync(IReadOnlyList<Address> workers)
    {
        foreach (var worker in workers)
        {
            state.State.Authorized.Remove(worker);
            state.State.Revoked.Add(worker);
        }

        await state.WriteOrResetAsync(this);
        await Task.WhenAll(workers.Select(w => GrainFactory.Worker(w).RevokeAsync()));
    }

    public Task<bool> IsAuthorizedAsync(Address worker)
    {
        var s = state.State;
        var policy = s.Policy ?? PoolPolicy.Default;
        return Task.FromResult(!s.Revoked.Contains(worker) && (policy.AuthorizeAnyWorker || s.Authorized.Contains(worker)));
    }

    public Task WorkerSeenAsync(Address worker)
    {
        // Written behind, once a second at most: each write serializes every address the pool knows,
        // so writing per registration made 10,000 workers joining cost quadratic time. A worker whose
        // sighting is lost with a silo is added again at its next registration (every registration
        // reports it), and the set only lists workers; it decides nothing.
        if (state.State.Seen.Add(worker))
        {
            _seenTimer ??= this.RegisterGrainTimer(FlushSeenAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(1), Period = Timeout.InfiniteTimeSpan, Interleave = false });
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Flushed on a graceful stop too, as the deal and worker grains do: storage is still up while
        // grains deactivate, and the next activation (on another silo) would miss these sightings.
        if (_seenTimer is not null)
        {
            await FlushSeenAsync(cancellationToken);
        }
    }

    private async Task FlushSeenAsync(CancellationToken cancellationToken)
    {
        _seenTimer?.Dispose();
        _seenTimer = null;
        await state.WriteOrResetAsync(this);
    }

    public Task<IReadOnlyList<Address>> ListWorkersAsync() => Task.FromResult<IReadOnlyList<Address>>(state.State.Seen.ToList());
}
