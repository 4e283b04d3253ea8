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
            grain.GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, $"state write failed: {ex.Message}"), CancellationToken.None);
            throw;
        }
    }
}
