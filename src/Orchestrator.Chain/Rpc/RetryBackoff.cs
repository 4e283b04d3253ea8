namespace Orchestrator.Chain.Rpc;

/// <summary>Exponential backoff with jitter for transient JSON-RPC failures.</summary>
public static class RetryBackoff
{
    /// <summary>
    /// Delay before retry number <paramref name="retry"/> (1 for the first retry): initial·2^(retry−1),
    /// capped at <paramref name="max"/>, then scaled into [50 %, 100 %] by <paramref name="jitterSample"/>
    /// in [0, 1) so that many clients failing together do not retry in lockstep.
    /// </summary>
    public static TimeSpan Delay(int retry, TimeSpan initial, TimeSpan max, double jitterSample)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var exponential = initial.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * Math.Clamp(jitterSample, 0, 1))));
    }
}
