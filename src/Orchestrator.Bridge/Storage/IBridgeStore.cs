using Orchestrator.Bridge.Leadership;
using Orchestrator.Chain.Reorgs;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>What the bridge persists: its transactions by (chain, account, nonce, attempt), never overwritten, and the listener's block cursors.</summary>
public interface IBridgeStore
{
    /// <summary>Transactions of the account not yet confirmed, reverted or dropped, by nonce.</summary>
    Task<IReadOnlyList<TrackedTransaction>> LoadPendingAsync(long chainId, Address account, CancellationToken cancellationToken);

    /// <summary>The highest nonce ever recorded for the account (any status but dropped), or null.</summary>
    Task<long?> MaxNonceAsync(long chainId, Address account, CancellationToken cancellationToken);

    /// <summary>
    /// Records a new attempt at the transaction's nonce in a row of its own (never replacing another
    /// attempt's) and returns it with its <see cref="TrackedTransaction.Attempt"/>.
    /// </summary>
    Task<TrackedTransaction> InsertAsync(TrackedTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Records an attempt's progress (status, fees, hashes, raw bytes, receipt); its nonce, data and
    /// task ids never change.
    /// </summary>
    Task UpdateAsync(TrackedTransaction transaction, CancellationToken cancellationToken);

    /// <summary>The last block a listener fully processed, or null when it never ran.</summary>
    Task<long?> GetCursorAsync(string name, CancellationToken cancellationToken);

    /// <summary>Moves a listener's cursor.</summary>
    Task SetCursorAsync(string name, long block, CancellationToken cancellationToken);

    /// <summary>A listener's cursor with its reorg history (block hashes, deals seen, orphans), or null when it never ran.</summary>
    Task<ListenerCursor?> GetListenerCursorAsync(string name, CancellationToken cancellationToken);

    /// <summary>Moves a listener's cursor and replaces its history, in one write.</summary>
    Task SetListenerCursorAsync(string name, ListenerCursor cursor, CancellationToken cancellationToken);

    /// <summary>
    /// The same tables, with every write (insert, update, cursor) refused with
    /// <see cref="LeadershipLostException"/> unless <paramref name="fence"/>'s token is the lease's
    /// current, unexpired one at the moment of the write.
    /// </summary>
    IBridgeStore FencedBy(ILeaseFence fence);
}
