using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// Which apps the pool owner runs: both lists empty = any app; otherwise an app the first list names,
/// or an app whose registered owner the second list names. It decides only whether a deal is taken;
/// it never changes what an app's owner registered (its measurements still admit the enclaves).
/// </summary>
/// <param name="Apps">Apps the pool runs.</param>
/// <param name="AppOwners">Owners whose apps the pool runs.</param>
public sealed record PoolAppRestriction(IReadOnlyList<Address> Apps, IReadOnlyList<Address> AppOwners)
{
    /// <summary>The largest number of addresses in each list (the pool's policy is read at every deal's creation).</summary>
    public const int MaxEntries = 1000;

    /// <summary>No restriction.</summary>
    public static PoolAppRestriction None { get; } = new([], []);

    /// <summary>Whether any app is refused at all.</summary>
    public bool Restricts => Apps.Count > 0 || AppOwners.Count > 0;

    /// <summary>
    /// Null when the pool runs <paramref name="app"/> (whose registered owner is <paramref name="appOwner"/>,
    /// null for an unregistered app); else the rule a deal naming it breaks.
    /// </summary>
    public string? Violation(Address app, Address? appOwner)
    {
        if (!Restricts || Apps.Contains(app) || (appOwner is { } owner && AppOwners.Contains(owner)))
        {
            return null;
        }

        var owned = appOwner is { } o ? $"owned by {o.ToLowerHex()}" : "not registered";
        return $"the pool does not run app {app.ToLowerHex()} ({owned}) (rule: the pool's owner runs only apps [{List(Apps)}] and apps of owners [{List(AppOwners)}])";
    }

    private static string List(IReadOnlyList<Address> addresses) => string.Join(", ", addresses.Select(a => a.ToLowerHex()));
}
