using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// The pool owner's app allow-list, checked before a deal is created by every path that creates one
/// (the admin API and the chain listener), so a refused deal stores nothing.
/// </summary>
public static class PoolAppCheck
{
    /// <summary>Null when the pool runs <paramref name="app"/>; else the rule a deal naming it breaks.</summary>
    public static async Task<string?> CheckPoolRunsAsync(this IGrainFactory grains, Address app)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var restriction = (await grains.Pool().GetPolicyAsync().ConfigureAwait(false)).AppRestriction;
        if (!restriction.Restricts)
        {
            return null;
        }

        // An owner is trusted only as the registry knows it (the one who signed the app's first version).
        var owner = (await grains.AppRegistry(app).GetAsync().ConfigureAwait(false))?.Owner;
        return restriction.Violation(app, owner);
    }
}
