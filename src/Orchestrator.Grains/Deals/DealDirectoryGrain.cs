using Orchestrator.Abstractions.Grains;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Deals;

/// <summary>The directory's persisted state (state name "deal-directory"): the latest deals, oldest first.</summary>
[GenerateSerializer, Alias("orch.state.deal-directory.v1")]
public sealed class DealDirectoryState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public List<DealDirectoryEntry> Entries { get; set; } = [];
}

/// <summary>Remembers the latest deals for operators; written once per deal created.</summary>
public sealed class DealDirectoryGrain(
    [PersistentState("deal-directory", StorageNames.Default)] IPersistentState<DealDirectoryState> state) : Grain, IDealDirectoryGrain
{
    public async Task RecordAsync(DealDirectoryEntry entry)
    {
        var entries = state.State.Entries;
        if (entries.Exists(e => e.DealId == entry.DealId))
        {
            return;
        }

        entries.Add(entry);
        if (entries.Count > IDealDirectoryGrain.Capacity)
        {
            entries.RemoveRange(0, entries.Count - IDealDirectoryGrain.Capacity);
        }

        await state.WriteOrResetAsync(this);
    }

    public Task<IReadOnlyList<DealDirectoryEntry>> RecentAsync(int max)
    {
        var entries = state.State.Entries;
        var take = Math.Clamp(max, 0, entries.Count);
        var recent = new List<DealDirectoryEntry>(take);
        for (var i = entries.Count - 1; i >= entries.Count - take; i--)
        {
            recent.Add(entries[i]);
        }

        return Task.FromResult<IReadOnlyList<DealDirectoryEntry>>(recent);
    }
}
