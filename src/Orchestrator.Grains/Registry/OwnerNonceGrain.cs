using Orchestrator.Abstractions.Grains;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Registry;

/// <summary>A signer's used nonces as persisted (state name "owner-nonces"), each until its request expires.</summary>
[GenerateSerializer, Alias("orch.state.owner-nonces.v1")]
public sealed class OwnerNonceState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public Dictionary<ulong, DateTimeOffset> Used { get; set; } = [];
}

/// <summary>
/// The replay fence of signed owner requests. A nonce is remembered until its request's expiry (at
/// most a day ahead), after which the request is refused as expired anyway, so the set stays small.
/// </summary>
public sealed class OwnerNonceGrain(
    [PersistentState("owner-nonces", StorageNames.Default)] IPersistentState<OwnerNonceState> state,
    OrchestratorClock clock) : Grain, IOwnerNonceGrain
{
    public async Task<bool> TryUseAsync(ulong nonce, DateTimeOffset expiry)
    {
        if (state.State.Used.ContainsKey(nonce))
        {
            return false;
        }

        var now = clock.UtcNow;
        foreach (var stale in state.State.Used.Where(u => u.Value <= now).Select(u => u.Key).ToList())
        {
            state.State.Used.Remove(stale);
        }

        state.State.Used[nonce] = expiry;
        await state.WriteOrResetAsync(this);
        return true;
    }
}
