namespace Orchestrator.Bridge.Leadership;

/// <summary>
/// This bridge instance no longer holds (or never held) the lease of its role: a write fenced by a
/// stale token was refused, or a broadcast was stopped because the local view of the lease ran out.
/// Nothing was written or sent; the work belongs to the current leader.
/// </summary>
public sealed class LeadershipLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LeadershipLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LeadershipLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LeadershipLostException()
    {
    }
}
