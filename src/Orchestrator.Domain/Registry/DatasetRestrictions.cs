using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// Who may use a dataset, as its owner registered it. Each list empty = anyone; otherwise only the
/// addresses it names. Apps may be allowed by address or by their owner: a deal passes the app rule
/// when either list is empty-together, or names its app, or names its app's owner.
/// </summary>
/// <param name="Apps">Apps allowed.</param>
/// <param name="AppOwners">Owners whose apps are allowed.</param>
/// <param name="Requesters">Requesters allowed.</param>
/// <param name="Pools">Pools allowed.</param>
public sealed record DatasetRestrictions(IReadOnlyList<Address> Apps, IReadOnlyList<Address> AppOwners, IReadOnlyList<Address> Requesters, IReadOnlyList<Address> Pools)
{
    /// <summary>No restriction.</summary>
    public static DatasetRestrictions None { get; } = new([], [], [], []);

    /// <summary>Null when a deal of <paramref name="requester"/> running <paramref name="app"/> (owned by <paramref name="appOwner"/>) on <paramref name="pool"/> may use the dataset; else the restriction it breaks.</summary>
    public string? Violation(Address dataset, Address app, Address? appOwner, Address requester, Address pool)
    {
        if ((Apps.Count > 0 || AppOwners.Count > 0) && !Apps.Contains(app) && !(appOwner is { } o && AppOwners.Contains(o)))
        {
            return $"dataset {dataset.ToLowerHex()} does not allow app {app.ToLowerHex()} (rule: the dataset's owner allows only apps [{List(Apps)}] and apps of owners [{List(AppOwners)}])";
        }

        if (Requesters.Count > 0 && !Requesters.Contains(requester))
        {
            return $"dataset {dataset.ToLowerHex()} does not allow requester {requester.ToLowerHex()} (rule: the dataset's owner allows only requesters [{List(Requesters)}])";
        }

        if (Pools.Count > 0 && !Pools.Contains(pool))
        {
            return $"dataset {dataset.ToLowerHex()} does not allow pool {pool.ToLowerHex()} (rule: the dataset's owner allows only pools [{List(Pools)}])";
        }

        return null;
    }

    private static string List(IReadOnlyList<Address> addresses) => string.Join(", ", addresses.Select(a => a.ToLowerHex()));
}
