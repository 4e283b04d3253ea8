using System.Collections.Concurrent;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Chain.Reorgs;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>The embedded store: lost with the process (the chain's pending nonce is then the only recovery).</summary>
public sealed class InMemoryBridgeStore : IBridgeStore
{
    private readonly InMemoryBridgeStore? _shared;
    private readonly ILeaseFence? _fence;

    private readonly Lock _gate = new();
    private readonly Dictionary<(long, Address, long, int), TrackedTransaction> _transactions = [];
    private readonly ConcurrentDictionary<string, long> _cursors = new();
    private readonly ConcurrentDictionary<string, ListenerCursor> _histories = new();

    /// <summary>Creates an empty store.</summary>
    public InMemoryBridgeStore()
    {
    }

    // A fenced view writes into the shared store's tables.
    private InMemoryBridgeStore(InMemoryBridgeStore shared, ILeaseFence fence)
    {
        _shared = shared;
        _fence = fence;
        _gate = shared._gate;
        _transactions = shared._transactions;
        _cursors = shared._cursors;
        _histories = shared._histories;
    }

    /// <summary>Every transaction attempt recorded (for tests).</summary>
    public IReadOnlyCollection<TrackedTransaction> Transactions
    {
        get
        {
            lock (_gate)
            {
                return [.. _transactions.Values];
            }
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TrackedTransaction>> LoadPendingAsync(long chainId, Address account, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<TrackedTransaction>>(_transactions.Values
                .Where(t => t.ChainId == chainId && t.Account == account && t.Status == TrackedStatus.Pending).OrderBy(t => t.Nonce).ToList());
        }
    }

    /// <inheritdoc />
    public Task<long?> MaxNonceAsync(long chainId, Address account, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_transactions.Values.Where(t => t.ChainId == chainId && t.Account == account && t.Status != TrackedStatus.Dropped)
                .Select(t => (long?)t.Nonce).DefaultIfEmpty(null).Max());
        }
    }

    /// <inheritdoc />
    public Task<TrackedTransaction> InsertAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        CheckFence();
        lock (_gate)
        {
            var attempt = _transactions.Keys.Where(k => k.Item1 == transaction.ChainId && k.Item2 == transaction.Account && k.Item3 == transaction.Nonce)
                .Select(k => k.Item4 + 1).DefaultIfEmpty(0).Max();
            var recorded = transaction with { Attempt = attempt };
            _transactions.Add(Key(recorded), recorded);
            return Task.FromResult(recorded);
        }
    }

    /// <inheritdoc />
    public Task UpdateAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        CheckFence();
        lock (_gate)
        {
            if (!_transactions.TryGetValue(Key(transaction), out var old))
            {
                throw new InvalidOperationException($"no bridge transaction (nonce {transaction.Nonce}, attempt {transaction.Attempt}) to update");
            }

            // Only the attempt's progress moves; what it carried stays.
            _transactions[Key(transaction)] = transaction with { Kind = old.Kind, Data = old.Data, TaskIds = old.TaskIds, To = old.To };
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task<long?> GetCursorAsync(string name, CancellationToken cancellationToken)
        => Task.FromResult(_cursors.TryGetValue(name, out var block) ? block : (long?)null);

    /// <inheritdoc />
    public Task SetCursorAsync(string name, long block, CancellationToken cancellationToken)
    {
        CheckFence();
        _cursors[name] = block;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ListenerCursor?> GetListenerCursorAsync(string name, CancellationToken cancellationToken)
    {
        if (!_cursors.TryGetValue(name, out var block))
        {
            return Task.FromResult<ListenerCursor?>(null);
        }

        // As in PostgreSQL: a block number moved alone trims the history to it.
        return Task.FromResult<ListenerCursor?>(_histories.TryGetValue(name, out var cursor) ? cursor.MovedTo(block) : ListenerCursor.At(block));
    }

    /// <inheritdoc />
    public Task SetListenerCursorAsync(string name, ListenerCursor cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        CheckFence();
        lock (_gate)
        {
            _histories[name] = cursor;
            _cursors[name] = cursor.Block;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public IBridgeStore FencedBy(ILeaseFence fence)
    {
        ArgumentNullException.ThrowIfNull(fence);
        return new InMemoryBridgeStore(_shared ?? this, fence);
    }

    // One process: the in-process lease view is the whole truth.
    private void CheckFence()
    {
        if (_fence is not null && _fence.Token == 0)
        {
            throw new LeadershipLostException($"write refused: this instance does not hold the lease {_fence.LeaseName}");
        }
    }

    private static (long, Address, long, int) Key(TrackedTransaction t) => (t.ChainId, t.Account, t.Nonce, t.Attempt);
}
