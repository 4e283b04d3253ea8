using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// One app's attestation policy, keyed by the app address (lowercase 0x-hex). Written by the admin
/// API; read (through a per-silo cache) by the dispatch partitions and the secret service.
/// </summary>
[Alias("orch.IAppPolicyGrain")]
public interface IAppPolicyGrain : IGrainWithStringKey
{
    /// <summary>Validates and stores the policy (the version is bumped); invalid policies are refused with every problem named.</summary>
    [Alias("set")]
    Task<AppPolicyResult> SetAsync(AppAttestationPolicy policy);

    /// <summary>The policy, or null when the app has none (no TEE task of it is dispatched).</summary>
    [Alias("get")]
    Task<AppAttestationPolicy?> GetAsync();

    /// <summary>Removes the policy; returns whether there was one.</summary>
    [Alias("remove")]
    Task<bool> RemoveAsync();
}

/// <summary>The apps that have a policy (a single grain keyed "apps"), for listing by the admin API.</summary>
[Alias("orch.IAppPolicyIndexGrain")]
public interface IAppPolicyIndexGrain : IGrainWithStringKey
{
    /// <summary>Records that an app has (or no longer has) a policy.</summary>
    [Alias("mark")]
    Task MarkAsync(Address app, bool present);

    /// <summary>Every app with a policy.</summary>
    [Alias("list")]
    Task<IReadOnlyList<Address>> ListAsync();
}
