namespace Orchestrator.Worker.Session;

/// <summary>
/// Reconnection delays: exponential (initial · 2^attempt, capped at max) with "equal jitter" — a
/// random delay in [½·d, d] — so a fleet that lost its server together does not come back together,
/// and no delay collapses to zero. <see cref="Reset"/> after a session that got as far as welcome.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;

    /// <summary>Failed attempts since the last reset.</summary>
    public int Attempts { get; private set; }

    /// <summary>The delay before the next attempt (and counts the attempt).</summary>
    public TimeSpan Next()
    {
        var exponent = Math.Min(Attempts, 30);
        var ceiling = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        Attempts++;
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (0.5 * _random.NextDouble())));
    }

    /// <summary>Starts again from the initial delay.</summary>
    public void Reset() => Attempts = 0;
}
