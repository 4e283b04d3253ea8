using Orleans.Runtime;

namespace Orchestrator.Grains.Infrastructure;

/// <summary>
/// Every grain mutates its state object in memory and then writes it. When the write fails (the
/// database is away, or another activation wrote first and the ETag fence refused ours), the
/// in-memory state no longer matches storage: the activation must not act on it again. This
/// deactivates it, so the next call reloads what storage actually holds.
/// </summary>
public static class FencedWrites
{
    /// <summary>Writes the state; on failure deactivates the grain and rethrows.</summary>
    public static async Task WriteOrResetAsync<T>(this IPersistentState<T> state, IGrainBase grain, CancellationToken cancellationToken = default)
    {
        try
        {
            await state.WriteStateAsync(cancellationToken).ConfigureAwait(true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Reset(grain, ex);
            throw;
        }
    }

    /// <summary>Deactivates <paramref name="grain"/> after its state write failed, for writers that are not a persistent-state bridge.</summary>
    public static void Reset(IGrainBase grain, Exception failure)
    {
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(failure);
        grain.GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, $"state write failed: {failure.Message}"), CancellationToken.None);
    }
}
