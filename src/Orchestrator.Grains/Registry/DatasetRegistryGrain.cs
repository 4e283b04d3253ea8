using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Registry;

/// <summary>A registered dataset as persisted (state name "dataset-registry").</summary>
[GenerateSerializer, Alias("orch.state.dataset-registry.v1")]
public sealed class DatasetRegistryState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public DatasetRecord? Record { get; set; }
}

/// <summary>One dataset: only its first registrant adds versions; every version is kept; the current one's restrictions decide new deals.</summary>
public sealed partial class DatasetRegistryGrain(
    [PersistentState("dataset-registry", StorageNames.Default)] IPersistentState<DatasetRegistryState> state,
    OrchestratorClock clock,
    ILogger<DatasetRegistryGrain> logger) : Grain, IDatasetRegistryGrain
{
    private Address Dataset => field == default ? field = Address.Parse(this.GetPrimaryKeyString()) : field;

    public async Task<RegistryResult<DatasetRecord>> RegisterAsync(Address owner, string name, Hash32 checksum, string uri, string priceWei, DatasetAccess access, string source)
    {
        ArgumentNullException.ThrowIfNull(access);
        var existing = state.State.Record;
        if (existing is not null && existing.Owner != owner)
        {
            return new(null, OwnerRefusalCode.OwnerMismatch, $"owner mismatch: dataset {Dataset.ToLowerHex()} belongs to {existing.Owner.ToLowerHex()}, not {owner.ToLowerHex()} (rule: only the dataset's owner updates it)");
        }

        if (AssetNames.Problem(name) is { } problem)
        {
            return new(null, OwnerRefusalCode.Invalid, problem);
        }

        var version = (existing?.Versions.Count ?? 0) + 1;
        var entry = new DatasetVersion(version, checksum, uri, priceWei, access, clock.UtcNow, source);
        state.State.Record = new DatasetRecord(Dataset, owner, name, [.. existing?.Versions ?? [], entry]);
        await state.WriteOrResetAsync(this);
        // Every version (AddAsync writes only when new): a crash between the two writes heals at the next one.
        await GrainFactory.RegistryIndex("datasets").AddAsync(Dataset);

        LogRegistered(logger, Dataset, owner, version, source);
        return new(state.State.Record, OwnerRefusalCode.None, string.Empty);
    }

    public Task<DatasetRecord?> GetAsync() => Task.FromResult(state.State.Record);

    public async Task<string?> CheckDealAsync(Address app, Address requester, Address pool)
    {
        if (state.State.Record is not { } record)
        {
            return $"dataset {Dataset.ToLowerHex()} is not registered (rule: a deal names only a dataset its owner registered)";
        }

        var appOwner = (await GrainFactory.AppRegistry(app).GetAsync())?.Owner;
        return record.Current.Access.ToDomain().Violation(Dataset, app, appOwner, requester, pool);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset {Dataset} of owner {Owner}: version {Version} registered (via {Source})")]
    private static partial void LogRegistered(ILogger logger, Address dataset, Address owner, int version, string source);
}
