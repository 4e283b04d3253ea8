namespace Orchestrator.Bridge.Leadership;

/// <summary>A role's lease as granted: the fencing token of the holder's term.</summary>
/// <param name="Name">The role (e.g. <c>sender:31337:0xabc…</c>).</param>
/// <param name="Holder">Who holds it.</param>
/// <param name="Token">Grows on every change of holder; writes fenced by an older token are refused.</param>
public sealed record LeaseGrant(string Name, string Holder, long Token);

/// <summary>What a write is fenced by: the lease it needs and the token of the writer's term (0 when it holds none).</summary>
public interface ILeaseFence
{
    /// <summary>The lease's name.</summary>
    string LeaseName { get; }

    /// <summary>The token of the current term, or 0 when this instance is not the leader.</summary>
    long Token { get; }
}

/// <summary>Where leases live: one row per role, taken and renewed atomically.</summary>
public interface ILeaseStore
{
    /// <summary>
    /// Takes the lease when it is free or expired, or renews it when <paramref name="holder"/> holds it,
    /// for <paramref name="duration"/> from now; null when another holder's lease is still running.
    /// </summary>
    Task<LeaseGrant?> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Ends the holder's term at once (graceful stop) so a successor need not wait for the expiry.</summary>
    Task ReleaseAsync(string name, string holder, long token, CancellationToken cancellationToken);
}
