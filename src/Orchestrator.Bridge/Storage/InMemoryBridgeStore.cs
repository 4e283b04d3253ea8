using System.Collections.Concurrent;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>The embedded store: lost with the process (the chain's pending nonce is then the only recovery).</summary>
public sealed class InMemoryBridgeStore : IBridgeStore
{
    private readonly ConcurrentDictionary<(long, Address, long), TrackedTransaction> _transactions = new();
    private readonly ConcurrentDictionary<string, long> _cursors = new();

    /// <summary>Every transaction recorded (for tests).</summary>
    public IReadOnlyCollection<TrackedTransaction> Transactions => [.. _transactions.Values];

    /// <inheritdoc />
    public Task<IReadOnlyList<TrackedTransaction>> LoadPendingAsync(long chainId, Address account, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<TrackedTransaction>>(_transactions.Values
            .Where(t => t.ChainId == chainId && t.Account == account && t.Status == TrackedStatus.Pending).OrderBy(t => t.Nonce).ToList());

    /// <inheritdoc />
    public Task<long?> MaxNonceAsync(long chainId, Address account, CancellationToken cancellationToken)
        => Task.FromResult(_transactions.Values.Where(t => t.ChainId == chainId && t.Account == account && t.Status != TrackedStatus.Dropped)
            .Select(t => (long?)t.Nonce).DefaultIfEmpty(null).Max());

    /// <inheritdoc />
    public Task SaveAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _transactions[(transaction.ChainId, transaction.Account, transaction.Nonce)] = transaction;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<long?> GetCursorAsync(string name, CancellationToken cancellationToken)
        => Task.FromResult(_cursors.TryGetValue(name, out var block) ? block : (long?)null);

    /// <inheritdoc />
    public Task SetCursorAsync(string name, long block, CancellationToken cancellationToken)
    {
        _cursors[name] = block;
        return Task.CompletedTask;
    }
}
