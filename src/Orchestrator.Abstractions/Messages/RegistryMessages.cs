using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;

namespace Orchestrator.Abstractions.Messages;

/// <summary>One version of a registered app: what its owner signed, kept forever (a deal pins the version current at its creation).</summary>
[GenerateSerializer, Immutable, Alias("orch.app-version.v1")]
public sealed record AppVersion(
    [property: Id(0)] int Version,
    [property: Id(1)] string Image,
    [property: Id(2)] AppAttestationPolicy Policy,
    [property: Id(3)] string PriceWei,
    [property: Id(4)] DateTimeOffset RegisteredAt,
    [property: Id(5)] string Source);

/// <summary>A registered app: its owner, its name and every version, oldest first.</summary>
[GenerateSerializer, Immutable, Alias("orch.app-record.v1")]
public sealed record AppRecord(
    [property: Id(0)] Address App,
    [property: Id(1)] Address Owner,
    [property: Id(2)] string Name,
    [property: Id(3)] IReadOnlyList<AppVersion> Versions)
{
    /// <summary>The version new deals pin.</summary>
    public AppVersion Current => Versions[^1];
}

/// <summary>Who may use a dataset (the wire form of <see cref="DatasetRestrictions"/>).</summary>
[GenerateSerializer, Immutable, Alias("orch.dataset-access.v1")]
public sealed record DatasetAccess(
    [property: Id(0)] IReadOnlyList<Address> Apps,
    [property: Id(1)] IReadOnlyList<Address> AppOwners,
    [property: Id(2)] IReadOnlyList<Address> Requesters,
    [property: Id(3)] IReadOnlyList<Address> Pools)
{
    /// <summary>The pure rule's form.</summary>
    public DatasetRestrictions ToDomain() => new(Apps, AppOwners, Requesters, Pools);

    /// <summary>The wire form of a pure rule.</summary>
    public static DatasetAccess Of(DatasetRestrictions r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new([.. r.Apps], [.. r.AppOwners], [.. r.Requesters], [.. r.Pools]);
    }
}

/// <summary>One version of a registered dataset.</summary>
[GenerateSerializer, Immutable, Alias("orch.dataset-version.v1")]
public sealed record DatasetVersion(
    [property: Id(0)] int Version,
    [property: Id(1)] Hash32 Checksum,
    [property: Id(2)] string Uri,
    [property: Id(3)] string PriceWei,
    [property: Id(4)] DatasetAccess Access,
    [property: Id(5)] DateTimeOffset RegisteredAt,
    [property: Id(6)] string Source);

/// <summary>A registered dataset: its owner, its name and every version, oldest first.</summary>
[GenerateSerializer, Immutable, Alias("orch.dataset-record.v1")]
public sealed record DatasetRecord(
    [property: Id(0)] Address Dataset,
    [property: Id(1)] Address Owner,
    [property: Id(2)] string Name,
    [property: Id(3)] IReadOnlyList<DatasetVersion> Versions)
{
    /// <summary>The version in force.</summary>
    public DatasetVersion Current => Versions[^1];
}

/// <summary>The outcome of a registration: the record, or the rule it broke (nothing stored).</summary>
[GenerateSerializer, Immutable, Alias("orch.registry-result.v1")]
public sealed record RegistryResult<T>(
    [property: Id(0)] T? Record,
    [property: Id(1)] OwnerRefusalCode Refusal,
    [property: Id(2)] string Error)
    where T : class
{
    /// <summary>True when stored.</summary>
    public bool Accepted => Record is not null;
}
