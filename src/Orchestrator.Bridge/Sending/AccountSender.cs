using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Rpc;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;

namespace Orchestrator.Bridge.Sending;

/// <summary>
/// The one sender of one account: assigns nonces, signs EIP-1559 transactions with fees from
/// eth_feeHistory, writes each one to the store before broadcasting it, then follows it to N
/// confirmations — re-broadcasting what the node forgot, replacing (same nonce, higher fees) what
/// stays unmined for <see cref="BridgeOptions.BumpAfter"/>, and re-checking the receipt after the
/// confirmations so that a reorg that dropped it sends it round again. Its waiters have their outcome
/// at <see cref="BridgeOptions.Confirmations"/>; the transaction itself is followed (its row stays
/// pending) until <see cref="BridgeOptions.FinalityDepth"/>, and one undone by a reorg deeper than the
/// confirmations is broadcast again (same nonce, same tasks) until it is final. Every transaction in
/// flight is followed through one shared <see cref="ReceiptPoller"/>: one JSON-RPC batch per poll for the account.
/// <para>
/// Nonces survive restarts from two sources: the chain (<c>eth_getTransactionCount(pending)</c>,
/// the truth for everything the node has seen) and the store's pending rows (what was signed but the
/// node may not have, e.g. after a node restart, and which tasks each carries). The next nonce is the
/// larger of "pending count" and "highest stored nonce + 1"; stored pending rows are followed again,
/// and their tasks are reported in flight so a redelivered event waits for them instead of sending twice.
/// </para>
/// <para>
/// With a <see cref="BridgeLeadership"/> (several silos), it signs only while it holds the account's
/// lease: its writes are fenced by the lease's token, each broadcast needs a valid local view of the
/// lease, and a new term starts with the same recovery (so a successor continues its predecessor's
/// nonces and follows its pending rows). A term's end stops every follow; their waiters get
/// <see cref="LeadershipLostException"/> and the work goes to the new leader.
/// </para>
/// </summary>
public sealed partial class AccountSender : IAsyncDisposable
{
    private readonly EthereumRpcClient _rpc;
    private readonly IBridgeStore _store;
    private readonly FeeOracle _fees;
    private readonly BridgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AccountSender> _logger;
    private readonly byte[] _key;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<Hash32, Task<TransactionResult>> _inFlight = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly BridgeLeadership? _leadership;
    private readonly ReceiptPoller _poller;
    private long _nextNonce = -1;
    private long _initializedTerm;
    private int _disposed;

    /// <summary>Creates the sender of the configured scheduler account (the only one when <paramref name="leadership"/> is null).</summary>
    public AccountSender(EthereumRpcClient rpc, IBridgeStore store, FeeOracle fees, BridgeOptions options, TimeProvider time, ILogger<AccountSender> logger, BridgeLeadership? leadership = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _rpc = rpc;
        _leadership = leadership;
        _store = leadership is null ? store : store.FencedBy(leadership);
        _fees = fees;
        _options = options;
        _time = time;
        _logger = logger;
        _key = options.Key;
        Account = Secp256k1.AddressOf(_key);
        _poller = new ReceiptPoller(rpc, Account);
    }

    /// <summary>The account.</summary>
    public Address Account { get; }

    /// <summary>The lease the sender of the configured account holds to sign: one per chain and account.</summary>
    public static string LeaseNameOf(BridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"sender:{options.ChainId}:{Secp256k1.AddressOf(options.Key).ToLowerHex()}";
    }

    /// <summary>The account's lease, when several silos may send for it (null: this is the only sender).</summary>
    public BridgeLeadership? Leadership => _leadership;

    /// <summary>True when this instance may sign for the account now.</summary>
    public bool Leads => _leadership?.IsLeader ?? true;

    /// <summary>The transaction carrying a task, while it is followed.</summary>
    public bool TryGetInFlight(Hash32 taskId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Task<TransactionResult>? transaction)
        => _inFlight.TryGetValue(taskId, out transaction);

    /// <summary>Checks the chain id, recovers the nonce and resumes following the stored pending transactions. Idempotent.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var term = CurrentTerm();
        if (Interlocked.Read(ref _nextNonce) >= 0 && Interlocked.Read(ref _initializedTerm) == term)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            term = CurrentTerm();
            if (_nextNonce >= 0 && _initializedTerm == term)
            {
                return;
            }

            var chainId = await _rpc.ChainIdAsync(cancellationToken).ConfigureAwait(false);
            if (chainId != _options.ChainId)
            {
                throw new InvalidOperationException($"the node at Orchestrator:Chain:RpcUrl reports chain id {chainId}, but Orchestrator:Chain:ChainId is {_options.ChainId}: refusing to sign");
            }

            var pendingCount = (long)await _rpc.GetTransactionCountAsync(Account, BlockParameter.Pending, cancellationToken).ConfigureAwait(false);
            var stored = await _store.MaxNonceAsync(_options.ChainId, Account, cancellationToken).ConfigureAwait(false);
            var pending = await _store.LoadPendingAsync(_options.ChainId, Account, cancellationToken).ConfigureAwait(false);
            _nextNonce = Math.Max(pendingCount, (stored ?? -1) + 1);
            Interlocked.Exchange(ref _initializedTerm, term);
            LogRecovered(_logger, Account, _nextNonce, pendingCount, pending.Count);
            foreach (var transaction in pending)
            {
                _ = FollowInBackgroundAsync(transaction);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Signs and sends a call to the hub, then waits for its confirmations (or its end).</summary>
    public async Task<TransactionResult> SendAsync(string kind, byte[] data, BigInteger gasLimit, IReadOnlyList<Hash32> taskIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        Task<TransactionResult> followed;

        // Fees do not depend on the nonce: read outside the gate, so batches in flight read them side by side
        // and the gate covers only what must be serial (nonce, row, broadcast).
        var fees = await _fees.CurrentAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (CurrentTerm() != _initializedTerm)
            {
                throw new LeadershipLostException($"the term of the lease {_leadership?.LeaseName} ended before nonce {_nextNonce} was signed; the next call recovers the nonce again");
            }

            var nonce = _nextNonce;
            var signed = Sign(nonce, fees, gasLimit, data);
            var tracked = new TrackedTransaction
            {
                ChainId = _options.ChainId,
                Account = Account,
                Nonce = nonce,
                Kind = kind,
                To = _options.Hub,
                Data = data,
                GasLimit = gasLimit,
                MaxFeePerGas = fees.MaxFeePerGas,
                MaxPriorityFeePerGas = fees.MaxPriorityFeePerGas,
                Hashes = [signed.Hash],
                Raw = signed.Raw,
                TaskIds = taskIds,
                Status = TrackedStatus.Pending,
                SentAt = _time.GetUtcNow(),
            };

            // Write-ahead: once this row exists, a restart follows this nonce instead of reusing it.
            // A row of its own (attempt): a nonce used before keeps its earlier attempts' rows.
            tracked = await _store.InsertAsync(tracked, cancellationToken).ConfigureAwait(false);
            _nextNonce = nonce + 1;
            try
            {
                // The row is in under our token; broadcast only while the lease is surely still ours.
                _leadership?.EnsureLeader();
                await _rpc.SendRawTransactionAsync(signed.Raw, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonRpcException ex) when (!IsAlreadyKnown(ex))
            {
                // Refused outright (not a network failure): give the nonce back if nothing took the next one.
                await _store.UpdateAsync(tracked with { Status = TrackedStatus.Dropped }, CancellationToken.None).ConfigureAwait(false);
                _nextNonce = IsNonceTooLow(ex)
                    ? (long)await _rpc.GetTransactionCountAsync(Account, BlockParameter.Pending, cancellationToken).ConfigureAwait(false)
                    : nonce;
                if (IsNonceTooLow(ex) || IsTransient(ex))
                {
                    // A nonce taken meanwhile (re-read above) or a node that is busy: try again later, re-signed.
                    throw new BroadcastDeferredException($"the node turned the {kind} transaction (nonce {nonce}) away for now: {ex.RpcMessage}", ex);
                }

                throw new TransactionRefusedException($"the node refused the {kind} transaction (nonce {nonce}): {ex.RpcMessage}", ex);
            }
            catch (RpcTransportException ex)
            {
                // The node may or may not have it: following re-broadcasts it when the node answers again.
                LogBroadcastFailed(_logger, nonce, ex);
            }

            LogSent(_logger, kind, nonce, signed.Hash, taskIds.Count);
            BridgeSpans.Broadcast("sent", nonce, signed.Hash);
            followed = FollowInBackgroundAsync(tracked);
        }
        finally
        {
            _gate.Release();
        }

        return await followed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Follows the transaction to <see cref="BridgeOptions.FinalityDepth"/>; the returned task ends at
    /// its outcome (the confirmations reached, reverted, dropped), which is what its waiters need.
    /// </summary>
    private Task<TransactionResult> FollowInBackgroundAsync(TrackedTransaction transaction)
    {
        var outcome = new TaskCompletionSource<TransactionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = outcome.Task;
        foreach (var id in transaction.TaskIds)
        {
            _inFlight[id] = task;
        }

        _ = FollowInTermAsync(transaction, outcome).ContinueWith(
            follow =>
            {
                foreach (var id in transaction.TaskIds)
                {
                    _inFlight.TryRemove(new KeyValuePair<Hash32, Task<TransactionResult>>(id, task));
                }

                if (follow.Exception is { } failed)
                {
                    outcome.TrySetException(failed.InnerExceptions);
                }
                else if (follow.IsCanceled)
                {
                    outcome.TrySetCanceled();
                }
                else
                {
                    outcome.TrySetResult(follow.Result);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    /// <summary>Follows until the end, the sender's disposal or the end of the leader's term (then <see cref="LeadershipLostException"/>).</summary>
    private async Task<TransactionResult> FollowInTermAsync(TrackedTransaction transaction, TaskCompletionSource<TransactionResult> outcome)
    {
        if (_leadership is null)
        {
            return await FollowAsync(transaction, outcome, _stopping.Token).ConfigureAwait(false);
        }

        var term = _leadership.Term;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, term);
        try
        {
            return await FollowAsync(transaction, outcome, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (term.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            throw new LeadershipLostException($"the term of the lease {_leadership.LeaseName} ended while following nonce {transaction.Nonce}; the new leader follows it", ex);
        }
    }

    private long CurrentTerm()
    {
        if (_leadership is null)
        {
            return 1;
        }

        _leadership.EnsureLeader();
        return _leadership.Token;
    }

    private async Task<TransactionResult> FollowAsync(TrackedTransaction transaction, TaskCompletionSource<TransactionResult> outcome, CancellationToken cancellationToken)
    {
        await Task.Yield();
        BridgeTelemetry.AddPending(1);
        try
        {
            var failures = 0;
            while (true)
            {
                try
                {
                    var (done, next, final) = await StepAsync(transaction, cancellationToken).ConfigureAwait(false);
                    if (done is not null)
                    {
                        // The waiters have their outcome at the confirmations; the follow goes on to
                        // finality, and a reorg deeper than the confirmations sends it again.
                        outcome.TrySetResult(done);
                        if (final)
                        {
                            return done;
                        }
                    }

                    transaction = next;
                    failures = 0;
                    await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                {
                    failures++;
                    LogChainUnavailable(_logger, transaction.Nonce, failures, ex.Message);
                    await Task.Delay(Backoff(failures), _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            BridgeTelemetry.AddPending(-1);
        }
    }

    /// <summary>One look at a followed transaction: its end, or its (possibly replaced) next state.</summary>
    private async Task<(TransactionResult? Done, TrackedTransaction Next, bool Final)> StepAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        // One shared look (one JSON-RPC batch for every transaction of the account in flight): the mined
        // count, the receipts of all our hashes for this nonce, whether the node still has the latest, the head.
        var look = await _poller.LookAsync(transaction.Hashes, transaction.Block is null ? transaction.Hashes[^1] : null, cancellationToken).ConfigureAwait(false);
        var receipt = look.LatestReceiptOf(transaction.Hashes);
        if (receipt is null)
        {
            if (look.MinedCount > transaction.Nonce && !await AnyReceiptAfterAWhileAsync(transaction, cancellationToken).ConfigureAwait(false))
            {
                // The nonce is used, by none of our hashes: something else took it. Our tasks go round again.
                var dropped = transaction with { Status = TrackedStatus.Dropped };
                await _store.UpdateAsync(dropped, cancellationToken).ConfigureAwait(false);
                LogNonceTaken(_logger, transaction.Nonce);
                return (new TransactionResult(TrackedStatus.Dropped, null, null, 0, transaction.Nonce), dropped, true);
            }

            if (_time.GetUtcNow() - transaction.SentAt >= _options.BumpAfter)
            {
                return (null, await ReplaceAsync(transaction, cancellationToken).ConfigureAwait(false), false);
            }

            // A node that restarted (or a reorg) forgets its mempool: hand it the transaction again.
            if (!look.Known.Contains(transaction.Hashes[^1]))
            {
                await BroadcastAsync(transaction, cancellationToken).ConfigureAwait(false);
            }

            return (null, transaction, false);
        }

        var depth = look.Head - (long)receipt.BlockNumber + 1;
        if (depth < _options.Confirmations)
        {
            return (null, transaction, false);
        }

        // Confirmed deep enough: look at the receipt again (next shared look); a reorg since moved or dropped it.
        var again = (await _poller.LookAsync([receipt.TransactionHash], null, cancellationToken).ConfigureAwait(false)).Receipts.GetValueOrDefault(receipt.TransactionHash);
        if (again is null || again.BlockHash != receipt.BlockHash)
        {
            LogReorged(_logger, transaction.Nonce, receipt.TransactionHash, (long)receipt.BlockNumber);
            return (null, transaction, false);
        }

        var status = again.Succeeded ? TrackedStatus.Confirmed : TrackedStatus.Reverted;
        var result = new TransactionResult(status, again.TransactionHash, (long)again.BlockNumber, (long)again.GasUsed, transaction.Nonce);
        if (transaction.Block is null)
        {
            // Gas is counted when the transaction first counts (its confirmations), not later at finality.
            BridgeTelemetry.GasUsed.Add((long)again.GasUsed, new KeyValuePair<string, object?>("kind", transaction.Kind));
        }

        if (depth < _options.FinalityDepth)
        {
            // Confirmed but not final: the row stays pending (a restart follows it on), with where it was mined.
            var seen = transaction with { Block = (long)again.BlockNumber, MinedHash = again.TransactionHash, GasUsed = (long)again.GasUsed };
            if (transaction.Block != seen.Block || transaction.MinedHash != seen.MinedHash)
            {
                await _store.UpdateAsync(seen, cancellationToken).ConfigureAwait(false);
            }

            return (result, seen, false);
        }

        var final = transaction with { Status = status, Block = (long)again.BlockNumber, MinedHash = again.TransactionHash, GasUsed = (long)again.GasUsed };
        await _store.UpdateAsync(final, cancellationToken).ConfigureAwait(false);
        LogFinal(_logger, transaction.Kind, transaction.Nonce, again.TransactionHash, status, (long)again.GasUsed, transaction.TaskIds.Count);
        return (result, final, true);
    }

    /// <summary>
    /// A node may count a mined nonce a moment before it serves the receipt: look again a few times
    /// before concluding that the nonce went to a transaction that is not ours.
    /// </summary>
    private async Task<bool> AnyReceiptAfterAWhileAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
            var look = await _poller.LookAsync(transaction.Hashes, null, cancellationToken).ConfigureAwait(false);
            if (look.LatestReceiptOf(transaction.Hashes) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<TrackedTransaction> ReplaceAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        var current = await _fees.CurrentAsync(cancellationToken).ConfigureAwait(false);
        var fees = new Fees(transaction.MaxPriorityFeePerGas, transaction.MaxFeePerGas).Bump(_options.BumpPercent, current);
        if (fees.MaxFeePerGas > FeeOracle.MaxCap(_options))
        {
            throw new FeeCapExceededException($"replacing nonce {transaction.Nonce} would need {fees.MaxFeePerGas} wei/gas, above Orchestrator:Chain:MaxFeeCapGwei");
        }

        _leadership?.EnsureLeader();
        var signed = Sign(transaction.Nonce, fees, transaction.GasLimit, transaction.Data);
        var replaced = transaction with
        {
            MaxFeePerGas = fees.MaxFeePerGas,
            MaxPriorityFeePerGas = fees.MaxPriorityFeePerGas,
            Hashes = [.. transaction.Hashes, signed.Hash],
            Raw = signed.Raw,
            SentAt = _time.GetUtcNow(),
        };
        await _store.UpdateAsync(replaced, cancellationToken).ConfigureAwait(false);
        BridgeTelemetry.Bumps.Add(1);
        LogReplaced(_logger, transaction.Nonce, transaction.Hashes[^1], signed.Hash, fees.MaxFeePerGas);
        BridgeSpans.Broadcast("replaced", transaction.Nonce, signed.Hash);
        await BroadcastAsync(replaced, cancellationToken).ConfigureAwait(false);
        return replaced;
    }

    private async Task BroadcastAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        _leadership?.EnsureLeader();
        try
        {
            await _rpc.SendRawTransactionAsync(transaction.Raw, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex) when (IsAlreadyKnown(ex) || IsNonceTooLow(ex) || ex.RpcMessage.Contains("underpriced", StringComparison.OrdinalIgnoreCase))
        {
            // Known, already mined (the receipt shows next round), or an older one is still better: nothing to do now.
        }
    }

    private SignedTransaction Sign(long nonce, Fees fees, BigInteger gasLimit, byte[] data)
        => TransactionSigner.SignEip1559(_options.ChainId, nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gasLimit, _options.Hub, BigInteger.Zero, data, _key);

    private TimeSpan Backoff(int failures) => RetryBackoff.Delay(failures, _options.RetryDelay, _options.MaxRetryDelay, Random.Shared.NextDouble());

    /// <summary>Failures the bridge waits out: the node unreachable or overloaded, fees too high for now.</summary>
    public static bool IsTransient(Exception exception) => exception is RpcTransportException or HttpRequestException or TimeoutException or FeeCapExceededException or BroadcastDeferredException
        or Npgsql.NpgsqlException or TaskCanceledException { CancellationToken.IsCancellationRequested: false }
        || (exception is JsonRpcException rpc && rpc.Code != 3 && rpc.RevertData.Length == 0 && rpc.Code is -32000 or -32603 or -32005 or 429);

    private static bool IsAlreadyKnown(JsonRpcException ex) => ex.RpcMessage.Contains("already known", StringComparison.OrdinalIgnoreCase)
        || ex.RpcMessage.Contains("already imported", StringComparison.OrdinalIgnoreCase);

    private static bool IsNonceTooLow(JsonRpcException ex) => ex.RpcMessage.Contains("nonce too low", StringComparison.OrdinalIgnoreCase)
        || ex.RpcMessage.Contains("nonce is too low", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sender {Account}: next nonce {Nonce} (chain pending count {PendingCount}), following {Pending} stored pending transactions")]
    private static partial void LogRecovered(ILogger logger, Address account, long nonce, long pendingCount, int pending);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {Kind} nonce {Nonce} {Hash} with {Tasks} tasks")]
    private static partial void LogSent(ILogger logger, string kind, long nonce, Hash32 hash, int tasks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broadcasting nonce {Nonce} failed; it is re-broadcast when the node answers")]
    private static partial void LogBroadcastFailed(ILogger logger, long nonce, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chain unavailable while following nonce {Nonce} (attempt {Attempt}): {Reason}; waiting")]
    private static partial void LogChainUnavailable(ILogger logger, long nonce, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nonce {Nonce} was used by a transaction the bridge did not send; its tasks are sent again")]
    private static partial void LogNonceTaken(ILogger logger, long nonce);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reorg: nonce {Nonce} ({Hash}, block {Block}) is no longer where it was; following it again")]
    private static partial void LogReorged(ILogger logger, long nonce, Hash32 hash, long block);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} nonce {Nonce} {Hash}: {Status}, {GasUsed} gas for {Tasks} tasks")]
    private static partial void LogFinal(ILogger logger, string kind, long nonce, Hash32 hash, TrackedStatus status, long gasUsed, int tasks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nonce {Nonce} stuck: replaced {Old} with {New} at max fee {MaxFee} wei/gas")]
    private static partial void LogReplaced(ILogger logger, long nonce, Hash32 old, Hash32 @new, BigInteger maxFee);
}
