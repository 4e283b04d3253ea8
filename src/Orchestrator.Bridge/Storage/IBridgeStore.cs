using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>What the bridge persists: its transactions by (chain, account, nonce) and the listener's block cursors.</summary>
public interface IBridgeStore
{
    /// <summary>Transactions of the account not yet confirmed, reverted or dropped, by nonce.</summary>
    Task<IReadOnlyList<TrackedTransaction>> LoadPendingAsync(long chainId, Address account, CancellationToken cancellationToken);

    /// <summary>The highest nonce ever recorded for the account (any status), or null.</summary>
    Task<long?> MaxNonceAsync(long chainId, Address account, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the record of (chain, account, nonce).</summary>
    Task SaveAsync(TrackedTransaction transaction, CancellationToken cancellationToken);

    /// <summary>The last block a listener fully processed, or null when it never ran.</summary>
    Task<long?> GetCursorAsync(string name, CancellationToken cancellationToken);

    /// <summary>Moves a listener's cursor.</summary>
    Task SetCursorAsync(string name, long block, CancellationToken cancellationToken);
}
