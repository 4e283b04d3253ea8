using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Registry;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Abstractions.Grains;

/// <summary>The workerpool's policy, set by its owner.</summary>
[GenerateSerializer, Immutable, Alias("orch.pool-policy.v1")]
public sealed record PoolPolicy(
    [property: Id(0)] IReadOnlyList<int> AcceptedCategories,
    [property: Id(1)] IReadOnlyList<TeeKind> AcceptedTeeKinds,
    [property: Id(2)] int MaxReplicatesPerWorker,
    [property: Id(3)] bool AllowSimulatedTee,
    [property: Id(4)] bool AuthorizeAnyWorker)
{
    /// <summary>Production default: every category and TEE kind, no simulated TEE, only authorized workers.</summary>
    public static PoolPolicy Default { get; } = new([], [TeeKind.None, TeeKind.Sgx, TeeKind.Tdx], 64, false, false);

    /// <summary>Apps the pool runs (with <see cref="AllowedAppOwners"/>: both empty = any app). Null in a policy stored before the list existed reads as empty.</summary>
    [Id(5)]
    public IReadOnlyList<Address> AllowedApps { get => field ?? []; init; } = [];

    /// <summary>Owners whose registered apps the pool runs.</summary>
    [Id(6)]
    public IReadOnlyList<Address> AllowedAppOwners { get => field ?? []; init; } = [];

    /// <summary>The app allow-list in the Domain's terms.</summary>
    public PoolAppRestriction AppRestriction => new(AllowedApps, AllowedAppOwners);

    /// <summary>The part of the policy that admits workers, in the Domain's terms.</summary>
    public AdmissionPolicy Admission => new(AcceptedTeeKinds, AllowSimulatedTee);
}

/// <summary>The pool's answer to a registering worker.</summary>
[GenerateSerializer, Immutable, Alias("orch.pool-admission.v1")]
public sealed record PoolAdmission([property: Id(0)] bool Authorized, [property: Id(1)] PoolPolicy Policy);

/// <summary>The workerpool (a single grain keyed "pool"): authorizations and policy. Read at registration, never on the task path.</summary>
[Alias("orch.IPoolGrain")]
public interface IPoolGrain : IGrainWithStringKey
{
    /// <summary>The policy.</summary>
    [Alias("policy")]
    Task<PoolPolicy> GetPolicyAsync();

    /// <summary>Replaces the policy.</summary>
    [Alias("set-policy")]
    Task SetPolicyAsync(PoolPolicy policy);

    /// <summary>Authorizes worker addresses.</summary>
    [Alias("authorize")]
    Task AuthorizeAsync(IReadOnlyList<Address> workers);

    /// <summary>Revokes worker addresses (their grains drop them).</summary>
    [Alias("revoke")]
    Task RevokeAsync(IReadOnlyList<Address> workers);

    /// <summary>Whether a worker may join.</summary>
    [Alias("is-authorized")]
    Task<bool> IsAuthorizedAsync(Address worker);

    /// <summary>
    /// A worker registering: whether it may join and the policy it joins under, in one call; an
    /// admitted worker is also recorded as seen (for listing).
    /// </summary>
    [Alias("admit")]
    Task<PoolAdmission> AdmitAsync(Address worker);

    /// <summary>Every worker that ever registered.</summary>
    [Alias("workers")]
    Task<IReadOnlyList<Address>> ListWorkersAsync();
}
