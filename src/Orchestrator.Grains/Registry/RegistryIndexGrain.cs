using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Registry;

/// <summary>The index's persisted state (state name "registry-index").</summary>
[GenerateSerializer, Alias("orch.state.registry-index.v1")]
public sealed class RegistryIndexState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public HashSet<Address> Addresses { get; set; } = [];
}

/// <summary>Every registered app or dataset (touched only by first registrations).</summary>
public sealed class RegistryIndexGrain(
    [PersistentState("registry-index", StorageNames.Default)] IPersistentState<RegistryIndexState> state) : Grain, IRegistryIndexGrain
{
    public async Task AddAsync(Address address)
    {
        if (state.State.Addresses.Add(address))
        {
            await state.WriteOrResetAsync(this);
        }
    }

    public Task<bool> ContainsAsync(Address address) => Task.FromResult(state.State.Addresses.Contains(address));

    public Task<IReadOnlyList<Address>> ListAsync() => Task.FromResult<IReadOnlyList<Address>>(state.State.Addresses.Order().ToList());
}
