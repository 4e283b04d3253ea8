namespace Orchestrator.Grains.Infrastructure;

/// <summary>
/// The protocol's clock. A distinct type (not the container's TimeProvider) so tests can drive
/// deadlines with a fake clock without freezing Orleans' own timers and timeouts.
/// </summary>
public sealed class OrchestratorClock(TimeProvider time)
{
    /// <summary>The underlying provider.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>Now, UTC.</summary>
    public DateTimeOffset UtcNow => Time.GetUtcNow();
}
