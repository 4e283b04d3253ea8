using Orchestrator.Domain.Crypto;
using Orleans.Concurrency;

namespace Orchestrator.Abstractions.Grains;

/// <summary>A deal the directory remembers.</summary>
/// <param name="DealId">The deal.</param>
/// <param name="CreatedAt">When the cluster accepted it.</param>
/// <param name="BotSize">Its number of tasks.</param>
[GenerateSerializer, Immutable, Alias("orch.deal-directory-entry.v1")]
public sealed record DealDirectoryEntry(
    [property: Id(0)] Hash32 DealId,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] int BotSize);

/// <summary>
/// The most recent deals, for operators (the status page lists them). One grain keyed
/// <see cref="Key"/>: deals are created rarely (once per deal, never per task), so one grain is no
/// hot spot; it keeps the latest <see cref="Capacity"/> and forgets older ones.
/// </summary>
[Alias("orch.IDealDirectoryGrain")]
public interface IDealDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "deals";

    /// <summary>How many deals are remembered.</summary>
    const int Capacity = 200;

    /// <summary>Records a created deal (one-way and idempotent: the same deal twice is one entry).</summary>
    [Alias("record"), OneWay]
    Task RecordAsync(DealDirectoryEntry entry);

    /// <summary>The latest deals, newest first, at most <paramref name="max"/>.</summary>
    [Alias("recent")]
    Task<IReadOnlyList<DealDirectoryEntry>> RecentAsync(int max);
}
