using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Secrets;

/// <summary>One page of an owner's audit trail as persisted (state name "secret-audit-page").</summary>
[GenerateSerializer, Alias("orch.state.secret-audit-page.v1")]
public sealed class SecretAuditPageState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public List<SecretAuditEntry> Entries { get; set; } = [];
}

/// <summary>A page of an owner's audit trail: written whole on each append, so it stays small.</summary>
public sealed class SecretAuditPageGrain(
    [PersistentState("secret-audit-page", StorageNames.Default)] IPersistentState<SecretAuditPageState> state) : Grain, ISecretAuditPageGrain
{
    public async Task<bool> AppendAsync(SecretAuditEntry entry, int capacity)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (state.State.Entries.Count >= capacity)
        {
            return false;
        }

        state.State.Entries.Add(entry);
        await state.WriteOrResetAsync(this);
        return true;
    }

    public Task<IReadOnlyList<SecretAuditEntry>> GetAsync() => Task.FromResult<IReadOnlyList<SecretAuditEntry>>([.. state.State.Entries]);

    public async Task ClearAsync()
    {
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }

        state.State = new SecretAuditPageState();
    }
}
