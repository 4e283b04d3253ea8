using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// One registered app, keyed by its address (<see cref="Domain.Registry.AssetAddresses.App"/>). The
/// owner's signature was checked by the caller (API or chain listener); the grain refuses an owner
/// other than the one that registered it and keeps every version. A deal pins the version current at
/// its creation (<see cref="DealTicket.AppVersion"/>): TEE admission and secret release read that
/// version's policy. The current version's policy is also written to the app's <see cref="IAppPolicyGrain"/>.
/// </summary>
[Alias("orch.IAppRegistryGrain")]
public interface IAppRegistryGrain : IGrainWithStringKey
{
    /// <summary>Adds a version (the first registers the app); refused for another owner or an invalid policy.</summary>
    [Alias("register")]
    Task<RegistryResult<AppRecord>> RegisterAsync(Address owner, string name, string image, AppAttestationPolicy policy, string priceWei, string source);

    /// <summary>The app, or null when never registered.</summary>
    [Alias("get")]
    Task<AppRecord?> GetAsync();

    /// <summary>Pins the current version for a deal (idempotent: a deal keeps the version it was first pinned to); null when the app is not registered.</summary>
    [Alias("pin")]
    Task<AppVersion?> PinAsync(Hash32 dealId);

    /// <summary>The version a deal pinned, or the current one for a deal that pinned none; null when the app is not registered.</summary>
    [Alias("version-for")]
    Task<AppVersion?> VersionForAsync(Hash32 dealId);
}

/// <summary>One registered dataset, keyed by its address (<see cref="Domain.Registry.AssetAddresses.Dataset"/>).</summary>
[Alias("orch.IDatasetRegistryGrain")]
public interface IDatasetRegistryGrain : IGrainWithStringKey
{
    /// <summary>Adds a version (the first registers the dataset); refused for another owner.</summary>
    [Alias("register")]
    Task<RegistryResult<DatasetRecord>> RegisterAsync(Address owner, string name, Hash32 checksum, string uri, string priceWei, DatasetAccess access, string source);

    /// <summary>The dataset, or null when never registered.</summary>
    [Alias("get")]
    Task<DatasetRecord?> GetAsync();

    /// <summary>
    /// Null when a deal of <paramref name="requester"/> running <paramref name="app"/> on <paramref name="pool"/>
    /// may use the dataset under its current restrictions (the app's owner read from the app registry);
    /// else the rule it breaks, including "not registered".
    /// </summary>
    [Alias("check-deal")]
    Task<string?> CheckDealAsync(Address app, Address requester, Address pool);
}

/// <summary>The addresses of every registered app (key "apps") or dataset (key "datasets"), for listing.</summary>
[Alias("orch.IRegistryIndexGrain")]
public interface IRegistryIndexGrain : IGrainWithStringKey
{
    /// <summary>Records an address.</summary>
    [Alias("add")]
    Task AddAsync(Address address);

    /// <summary>Every address, sorted.</summary>
    [Alias("list")]
    Task<IReadOnlyList<Address>> ListAsync();

    /// <summary>
    /// Whether the address was registered: the public reads ask this one grain first, so an anonymous
    /// caller naming arbitrary addresses activates no grain (and reads no row) per address.
    /// </summary>
    [Alias("contains")]
    Task<bool> ContainsAsync(Address address);
}

/// <summary>
/// The nonces one signer used in signed owner requests, keyed by the signer's address, each kept
/// until its request's expiry (at most a day): a replayed request is refused.
/// </summary>
[Alias("orch.IOwnerNonceGrain")]
public interface IOwnerNonceGrain : IGrainWithStringKey
{
    /// <summary>Records the nonce; false when it was used before (a replay).</summary>
    [Alias("use")]
    Task<bool> TryUseAsync(ulong nonce, DateTimeOffset expiry);
}

/// <summary>The secret service's push key (derived from the active master key), served by any silo.</summary>
[Alias("orch.IPushKeyGrain")]
public interface IPushKeyGrain : IGrainWithIntegerKey
{
    /// <summary>The public key (64 bytes X ‖ Y) owners encrypt pushed secret values to.</summary>
    [Alias("public-key")]
    Task<byte[]> GetPublicKeyAsync();
}

/// <summary>Registry grain keys.</summary>
public static class RegistryGrainKeys
{
    /// <summary>A registered app.</summary>
    public static IAppRegistryGrain AppRegistry(this IGrainFactory factory, Address app) => StringKeyedGrains<IAppRegistryGrain>.Get(factory, GrainKeys.Of(app));

    /// <summary>A registered dataset.</summary>
    public static IDatasetRegistryGrain DatasetRegistry(this IGrainFactory factory, Address dataset) => StringKeyedGrains<IDatasetRegistryGrain>.Get(factory, GrainKeys.Of(dataset));

    /// <summary>The index of apps ("apps") or datasets ("datasets").</summary>
    public static IRegistryIndexGrain RegistryIndex(this IGrainFactory factory, string kind) => StringKeyedGrains<IRegistryIndexGrain>.Get(factory, kind);

    /// <summary>
    /// A registered app's record, or null when the index does not hold it: an unknown address (from a stranger's
    /// request) activates only the index, never a registry grain of its own.
    /// </summary>
    public static async Task<AppRecord?> FindAppAsync(this IGrainFactory factory, Address app) =>
        await factory.RegistryIndex("apps").ContainsAsync(app) ? await factory.AppRegistry(app).GetAsync() : null;

    /// <summary>A registered dataset's record, or null when the index does not hold it (see <see cref="FindAppAsync"/>).</summary>
    public static async Task<DatasetRecord?> FindDatasetAsync(this IGrainFactory factory, Address dataset) =>
        await factory.RegistryIndex("datasets").ContainsAsync(dataset) ? await factory.DatasetRegistry(dataset).GetAsync() : null;

    /// <summary>A signer's used nonces.</summary>
    public static IOwnerNonceGrain OwnerNonces(this IGrainFactory factory, Address signer) => StringKeyedGrains<IOwnerNonceGrain>.Get(factory, GrainKeys.Of(signer));

    /// <summary>The push key.</summary>
    public static IPushKeyGrain PushKey(this IGrainFactory factory) => factory.GetGrain<IPushKeyGrain>(0);
}
