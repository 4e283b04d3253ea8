using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Trust;

/// <summary>An app policy's persisted state (state name "app-policy").</summary>
[GenerateSerializer, Alias("orch.state.app-policy.v1")]
public sealed class AppPolicyState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public AppAttestationPolicy? Policy { get; set; }
    [Id(2)] public int LastVersion { get; set; }
}

/// <summary>One app's attestation policy: validated, versioned, persisted, indexed for listing.</summary>
public sealed partial class AppPolicyGrain(
    [PersistentState("app-policy", StorageNames.Default)] IPersistentState<AppPolicyState> state,
    OrchestratorClock clock,
    AppPolicyCache cache,
    ILogger<AppPolicyGrain> logger) : Grain, IAppPolicyGrain
{
    private Address App => field == default ? field = Address.Parse(this.GetPrimaryKeyString()) : field;

    public async Task<AppPolicyResult> SetAsync(AppAttestationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = AppPolicyRules.Validate(AttestationMapping.ToDraft(policy)).ToList();
        if (policy.App != App)
        {
            errors.Insert(0, $"the policy names app {policy.App} but was sent to app {App}");
        }

        if (errors.Count > 0)
        {
            return new AppPolicyResult(false, errors, state.State.Policy);
        }

        var stored = policy with { Version = state.State.LastVersion + 1, UpdatedAt = clock.UtcNow };
        state.State.Policy = stored;
        state.State.LastVersion = stored.Version;
        await state.WriteOrResetAsync(this);
        cache.Update(App, stored);
        await GrainFactory.AppPolicyIndex().MarkAsync(App, true);
        LogPolicySet(logger, App, stored.Tee, stored.Version);
        return new AppPolicyResult(true, [], stored);
    }

    public Task<AppAttestationPolicy?> GetAsync() => Task.FromResult(state.State.Policy);

    public async Task<bool> RemoveAsync()
    {
        if (state.State.Policy is null)
        {
            return false;
        }

        state.State.Policy = null;
        await state.WriteOrResetAsync(this);
        cache.Update(App, null);
        await GrainFactory.AppPolicyIndex().MarkAsync(App, false);
        LogPolicyRemoved(logger, App);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attestation policy of app {App} set: {Tee}, version {Version}")]
    private static partial void LogPolicySet(ILogger logger, Address app, Domain.Deals.TeeKind tee, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Attestation policy of app {App} removed: its TEE tasks are no longer dispatched")]
    private static partial void LogPolicyRemoved(ILogger logger, Address app);
}

/// <summary>The index's persisted state (state name "app-policy-index").</summary>
[GenerateSerializer, Alias("orch.state.app-policy-index.v1")]
public sealed class AppPolicyIndexState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public HashSet<Address> Apps { get; set; } = [];
}

/// <summary>Which apps have a policy (touched only by policy changes).</summary>
public sealed class AppPolicyIndexGrain(
    [PersistentState("app-policy-index", StorageNames.Default)] IPersistentState<AppPolicyIndexState> state) : Grain, IAppPolicyIndexGrain
{
    public async Task MarkAsync(Address app, bool present)
    {
        var changed = present ? state.State.Apps.Add(app) : state.State.Apps.Remove(app);
        if (changed)
        {
            await state.WriteOrResetAsync(this);
        }
    }

    public Task<IReadOnlyList<Address>> ListAsync() => Task.FromResult<IReadOnlyList<Address>>(state.State.Apps.OrderBy(a => a).ToList());
}
