using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;
using Orleans.Runtime;

namespace Orchestrator.Grains.Registry;

/// <summary>A registered app as persisted (state name "app-registry").</summary>
[GenerateSerializer, Alias("orch.state.app-registry.v1")]
public sealed class AppRegistryState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public AppRecord? Record { get; set; }
    [Id(2)] public Dictionary<Hash32, int> PinnedByDeal { get; set; } = [];
}

/// <summary>One app: only its first registrant adds versions; every version is kept; each deal pins the version current at its creation, whose policy admits its workers.</summary>
public sealed partial class AppRegistryGrain(
    [PersistentState("app-registry", StorageNames.Default)] IPersistentState<AppRegistryState> state,
    OrchestratorClock clock,
    ILogger<AppRegistryGrain> logger) : Grain, IAppRegistryGrain
{
    private Address App => field == default ? field = Address.Parse(this.GetPrimaryKeyString()) : field;

    public async Task<RegistryResult<AppRecord>> RegisterAsync(Address owner, string name, string image, AppAttestationPolicy policy, string priceWei, string source)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var existing = state.State.Record;
        if (existing is not null && existing.Owner != owner)
        {
            return new(null, OwnerRefusalCode.OwnerMismatch, $"owner mismatch: app {App.ToLowerHex()} belongs to {existing.Owner.ToLowerHex()}, not {owner.ToLowerHex()} (rule: only the app's owner updates it)");
        }

        var problems = new List<string>();
        if (AssetNames.Problem(name) is { } nameProblem) problems.Add(nameProblem);
        if (ImageReference.Problem(image) is { } imageProblem) problems.Add(imageProblem);
        problems.AddRange(AppPolicyRules.Validate(AttestationMapping.ToDraft(policy)).Select(p => "policy: " + p));
        if (problems.Count > 0)
        {
            return new(null, OwnerRefusalCode.Invalid, string.Join("; ", problems));
        }

        var version = (existing?.Versions.Count ?? 0) + 1;
        var stored = policy with { App = App, Version = version, UpdatedAt = clock.UtcNow };
        var entry = new AppVersion(version, image, stored, priceWei, clock.UtcNow, source);
        var record = new AppRecord(App, owner, name, [.. existing?.Versions ?? [], entry]);

        // The policy grain is written first: an app whose registry says version N never admits
        // enclaves by an older policy than N for longer than a retry.
        var set = await GrainFactory.AppPolicy(App).SetAsync(stored);
        if (!set.Accepted)
        {
            return new(null, OwnerRefusalCode.Invalid, "policy: " + string.Join("; ", set.Errors));
        }

        state.State.Record = record;
        await state.WriteOrResetAsync(this);
        // Every version (AddAsync writes only when new): a crash between the two writes heals at the next one.
        await GrainFactory.RegistryIndex("apps").AddAsync(App);

        LogRegistered(logger, App, owner, version, image, source);
        return new(record, OwnerRefusalCode.None, string.Empty);
    }

    public Task<AppRecord?> GetAsync() => Task.FromResult(state.State.Record);

    public async Task<AppVersion?> PinAsync(Hash32 dealId)
    {
        var record = state.State.Record;
        if (record is null)
        {
            return null;
        }

        if (state.State.PinnedByDeal.TryGetValue(dealId, out var pinned))
        {
            return record.Versions[pinned - 1];
        }

        state.State.PinnedByDeal[dealId] = record.Current.Version;
        await state.WriteOrResetAsync(this);
        return record.Current;
    }

    public Task<AppVersion?> VersionForAsync(Hash32 dealId)
    {
        var record = state.State.Record;
        return Task.FromResult(record is null ? null
            : state.State.PinnedByDeal.TryGetValue(dealId, out var pinned) ? record.Versions[pinned - 1] : record.Current);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} of owner {Owner}: version {Version} registered, image {Image} (via {Source})")]
    private static partial void LogRegistered(ILogger logger, Address app, Address owner, int version, string image, string source);
}
