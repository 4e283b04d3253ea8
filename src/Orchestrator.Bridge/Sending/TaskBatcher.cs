using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;

namespace Orchestrator.Bridge.Sending;

/// <summary>How a task left the batcher.</summary>
public enum SettleOutcome
{
    /// <summary>This bridge's transaction settled it.</summary>
    Sent = 0,

    /// <summary>It was already final on chain (a redelivery, or another sender): nothing sent.</summary>
    AlreadyFinal = 1,
}

/// <summary>
/// Gathers tasks of one kind (finalizations or claims) into batches by size (<see cref="BridgeOptions.BatchSize"/>)
/// and age (<see cref="BridgeOptions.BatchAge"/>), each batch one contract call through the account's
/// <see cref="AccountSender"/>. Before sending it reads the tasks' on-chain status (final ones are
/// dropped: never finalized twice) and simulates the call (eth_estimateGas); a task the contract
/// refuses is taken out with the contract's reason, and the rest go on. A task enqueued twice (a
/// redelivered message) shares the first one's fate. Chain failures are waited out with backoff.
/// </summary>
/// <typeparam name="TEvent">The bus event type.</typeparam>
public sealed partial class TaskBatcher<TEvent> : IAsyncDisposable
    where TEvent : class
{
    private readonly string _kind;
    private readonly Func<TEvent, Hash32> _taskId;
    private readonly Func<TEvent, Hash32> _dealId;
    private readonly Func<TEvent, long> _index;
    private readonly Func<IReadOnlyList<TEvent>, byte[]> _encode;
    private readonly Func<IReadOnlyList<TEvent>, long> _gasLimit;
    private readonly Func<TEvent, long>? _extraCost;
    private readonly long _extraBudget;
    private readonly AccountSender _sender;
    private readonly EthereumRpcClient _rpc;
    private readonly BridgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<Hash32, Waiter> _queued = [];
    private readonly Dictionary<Hash32, Waiter> _processing = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _disposed;

    /// <summary>Creates the batcher and starts its loop.</summary>
    public TaskBatcher(
        string kind,
        Func<TEvent, Hash32> taskId,
        Func<TEvent, Hash32> dealId,
        Func<TEvent, long> index,
        Func<IReadOnlyList<TEvent>, byte[]> encode,
        Func<IReadOnlyList<TEvent>, long> gasLimit,
        AccountSender sender,
        EthereumRpcClient rpc,
        BridgeOptions options,
        TimeProvider time,
        ILogger logger,
        Func<TEvent, long>? extraCost = null,
        long extraBudget = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(options);
        _kind = kind;
        _taskId = taskId;
        _dealId = dealId;
        _index = index;
        _encode = encode;
        _gasLimit = gasLimit;
        _extraCost = extraCost;
        _extraBudget = extraBudget;
        _sender = sender;
        _rpc = rpc;
        _options = options;
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxInFlightBatches);
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Tasks waiting for a batch.</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>Queues a task; completes when it is final on chain, fails with <see cref="TaskRejectedException"/> when the chain refuses it.</summary>
    public async Task<SettleOutcome> EnqueueAsync(TEvent item, CancellationToken cancellationToken)
    {
        var id = _taskId(item);
        if (_sender.TryGetInFlight(id, out var inFlight))
        {
            // Sent before (maybe by the previous process, recovered from the store): wait for that one.
            var result = await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (result.Status == TrackedStatus.Confirmed)
            {
                return SettleOutcome.AlreadyFinal;
            }
        }

        Waiter waiter;
        var duplicate = true;
        lock (_gate)
        {
            if (!_queued.TryGetValue(id, out waiter!) && !_processing.TryGetValue(id, out waiter!))
            {
                waiter = new Waiter(item, _time.GetUtcNow());
                _queued[id] = waiter;
                duplicate = false;
                _signal.Release();
            }
        }

        BridgeSpans.Queued(_kind, id, _dealId(item), duplicate);

        return await waiter.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var (batch, wait) = TakeReady();
                if (batch.Count == 0)
                {
                    // Sleep until the oldest task's batch is due, or until a new task arrives.
                    await _signal.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                _ = Task.Run(
                    async () =>
                    {
                        try
                        {
                            await ProcessAsync(batch, cancellationToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            _slots.Release();
                        }
                    },
                    CancellationToken.None);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private (List<Waiter> Batch, TimeSpan Wait) TakeReady()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var eligible = _queued.Values.Where(w => w.NotBefore <= now).OrderBy(w => w.EnqueuedAt).ToList();
            var due = eligible.Count >= _options.BatchSize || (eligible.Count > 0 && now - eligible[0].EnqueuedAt >= _options.BatchAge);
            if (!due)
            {
                var next = _queued.Values.Select(w => w.NotBefore > now ? w.NotBefore : w.EnqueuedAt + _options.BatchAge).DefaultIfEmpty(now + TimeSpan.FromSeconds(1)).Min();
                var wait = next - now;
                return ([], wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : wait);
            }

            var batch = Fill(eligible);
            foreach (var waiter in batch)
            {
                var id = _taskId(waiter.Item);
                _queued.Remove(id);
                _processing[id] = waiter;
            }

            return (batch, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// The oldest tasks, up to the batch size and, when tasks cost extra gas (a deal's callback), until
    /// their extra cost would pass the budget: a batch of heavy tasks stays under the gas ceiling.
    /// </summary>
    private List<Waiter> Fill(List<Waiter> eligible)
    {
        var batch = new List<Waiter>(Math.Min(eligible.Count, _options.BatchSize));
        long spent = 0;
        foreach (var waiter in eligible)
        {
            var cost = _extraCost?.Invoke(waiter.Item) ?? 0;
            if (batch.Count == _options.BatchSize || (batch.Count > 0 && spent + cost > _extraBudget))
            {
                break;
            }

            batch.Add(waiter);
            spent += cost;
        }

        return batch;
    }

    private async Task ProcessAsync(List<Waiter> batch, CancellationToken cancellationToken)
    {
        var remaining = batch;
        var failures = 0;
        var reverted = 0;
        while (remaining.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                var items = remaining.Select(w => w.Item).ToList();
                var data = _encode(items);
                var (open, revert) = await PreflightAsync(remaining, data, cancellationToken).ConfigureAwait(false);
                if (open.Count < remaining.Count)
                {
                    // Some were final already: the simulation ran on the wrong batch; look again without them.
                    remaining = open;
                    continue;
                }

                if (revert is not null)
                {
                    remaining = await TakeOutRefusedAsync(remaining, revert, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var taskIds = remaining.Select(w => _taskId(w.Item)).ToList();
                using var batchSpan = BridgeSpans.StartBatch(_kind, taskIds);

                // The gas limit is an upper bound, not eth_estimateGas: a node estimates by bisection, running
                // the whole batch a dozen times (about 1 s for 100 tasks on Anvil against 30 ms for one eth_call).
                // Unused gas is not paid for.
                var result = await SendTracedAsync(batchSpan, data, _gasLimit(items), taskIds, cancellationToken).ConfigureAwait(false);
                switch (result.Status)
                {
                    case TrackedStatus.Confirmed:
                        Confirm(remaining, batchSpan, result);
                        return;
                    case TrackedStatus.Reverted when ++reverted >= _options.MaxRevertedAttempts:
                        RejectAll(remaining, $"the {_kind} transaction reverted on chain {reverted} times (last {result.Hash})");
                        return;
                    default:
                        continue; // reverted (state moved under us) or dropped: look again
                }
            }
            catch (TransactionRefusedException ex)
            {
                RejectAll(remaining, ex.Message);
                return;
            }
            catch (Leadership.LeadershipLostException ex)
            {
                // Not this instance's work any more: the events go back to the bus, for the leader.
                HandBackAll(remaining, ex);
                return;
            }
            catch (Exception ex) when (AccountSender.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                failures++;
                LogChainUnavailable(_logger, _kind, remaining.Count, failures, ex.Message);
                await Task.Delay(RetryBackoffDelay(failures), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RejectAll(remaining, $"the bridge could not send the {_kind} batch: {ex.Message}");
                return;
            }
        }
    }

    /// <summary>Sends one batch transaction under its span, which records the failure or the receipt.</summary>
    private async Task<TransactionResult> SendTracedAsync(System.Diagnostics.Activity? batchSpan, byte[] data, System.Numerics.BigInteger gas, List<Hash32> taskIds, CancellationToken cancellationToken)
    {
        TransactionResult result;
        try
        {
            result = await _sender.SendAsync(_kind, data, gas, taskIds, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            batchSpan?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            throw;
        }

        BridgeSpans.Sent(batchSpan, result);
        return result;
    }

    private void Confirm(List<Waiter> batch, System.Diagnostics.Activity? batchSpan, TransactionResult result)
    {
        foreach (var waiter in batch)
        {
            BridgeSpans.Settled(_kind, _taskId(waiter.Item), batchSpan, result, batch.Count);
            Finish(waiter, SettleOutcome.Sent);
        }

        BridgeTelemetry.Tasks.Add(batch.Count, new("kind", _kind), new("outcome", "sent"));
    }

    private void HandBackAll(List<Waiter> batch, Leadership.LeadershipLostException reason)
    {
        foreach (var waiter in batch)
        {
            lock (_gate)
            {
                _processing.Remove(_taskId(waiter.Item));
            }

            waiter.Done.TrySetException(reason);
        }
    }

    private void RejectAll(List<Waiter> batch, string reason)
    {
        foreach (var waiter in batch)
        {
            Reject(waiter, reason);
        }
    }

    /// <summary>
    /// One HTTP request holding two calls: the batch's on-chain statuses (taskStatusesOf; final tasks
    /// leave the batch) and the simulation of the transaction itself (its revert, if any).
    /// </summary>
    private async Task<(List<Waiter> Open, JsonRpcException? Revert)> PreflightAsync(List<Waiter> waiters, byte[] transactionData, CancellationToken cancellationToken)
    {
        var hub = _options.Hub.ToLowerHex();
        var statusData = HubContract.EncodeTaskStatuses(waiters.Select(w => (_dealId(w.Item), _index(w.Item))).ToList());
        var responses = await _rpc.BatchAsync(
            [
                new JsonRpcCall("eth_call", [new JsonObject { ["to"] = hub, ["data"] = Hex.Encode(statusData) }, "latest"]),
                new JsonRpcCall("eth_call", [new JsonObject { ["from"] = _sender.Account.ToLowerHex(), ["to"] = hub, ["data"] = Hex.Encode(transactionData) }, "latest"]),
            ],
            cancellationToken).ConfigureAwait(false);
        var statuses = HubContract.DecodeTaskStatuses(Hex.Decode(responses[0].GetResultOrThrow().GetString()!));
        var simulation = responses[1].Error;
        if (simulation is not null && !IsRevert(simulation))
        {
            throw simulation;
        }

        var open = new List<Waiter>(waiters.Count);
        for (var i = 0; i < waiters.Count; i++)
        {
            var status = statuses[i];
            // ACTIVE (1): the task exists and is not final. UNSET (0): the deal is unknown to this
            // node (or the index out of range): simulating the batch names the reason.
            if (status is HubContract.StatusUnset or HubContract.StatusActive)
            {
                open.Add(waiters[i]);
            }
            else
            {
                LogAlreadyFinal(_logger, _kind, _taskId(waiters[i].Item), status);
                BridgeSpans.AlreadyFinal(_kind, _taskId(waiters[i].Item), status);
                BridgeTelemetry.Tasks.Add(1, new("kind", _kind), new("outcome", "already_final"));
                Finish(waiters[i], SettleOutcome.AlreadyFinal);
            }
        }

        return (open, simulation);
    }

    private static bool IsRevert(JsonRpcException ex)
        => ex.Code == 3 || ex.RevertData.Length > 0 || ex.RpcMessage.Contains("revert", StringComparison.OrdinalIgnoreCase);

    private async Task<List<Waiter>> TakeOutRefusedAsync(List<Waiter> waiters, JsonRpcException revert, CancellationToken cancellationToken)
    {
        var error = HubError.TryDecode(revert.RevertData);
        var reason = error?.Reason ?? revert.RevertReason ?? revert.RpcMessage;
        var kept = error?.Kind switch
        {
            HubErrorKind.AlreadyFinal => Without(waiters, w => _taskId(w.Item) == error.TaskId, w => Finish(w, SettleOutcome.AlreadyFinal)),
            HubErrorKind.TaskRejected => Without(waiters, w => _taskId(w.Item) == error.TaskId, w => Reject(w, $"the contract refuses task {error.TaskId}: {reason}")),
            HubErrorKind.DealRejected => Without(waiters, w => _dealId(w.Item) == error.DealId, w => Reject(w, $"the contract refuses deal {error.DealId}: {reason}")),
            HubErrorKind.NotScheduler => Without(waiters, _ => true, w => Reject(w, $"the bridge's account {_sender.Account} may not settle this pool's tasks: {reason}")),
            HubErrorKind.NotYet => Without(waiters, w => _taskId(w.Item) == error.TaskId, w =>
            {
                LogNotYet(_logger, _kind, error.TaskId!.Value, reason);
                Defer(w);
            }),
            _ => null,
        };

        // A decoded error that named none of these tasks would send the same batch round again for
        // ever: only an answer that took something out counts; otherwise search by halves.
        if (kept is not null && kept.Count < waiters.Count)
        {
            return kept;
        }

        // Not one of the hub's errors (or not about these tasks): find the culprit by halves (log2(n) simulations).
        if (waiters.Count == 1)
        {
            Reject(waiters[0], $"the contract refuses task {_taskId(waiters[0].Item)}: {reason}");
            return [];
        }

        var half = waiters.Count / 2;
        await Task.WhenAll(ProcessAsync(waiters[..half], cancellationToken), ProcessAsync(waiters[half..], cancellationToken)).ConfigureAwait(false);
        return [];
    }

    private static List<Waiter> Without(List<Waiter> waiters, Func<Waiter, bool> match, Action<Waiter> settle)
    {
        var kept = new List<Waiter>(waiters.Count);
        foreach (var waiter in waiters)
        {
            if (match(waiter)) settle(waiter);
            else kept.Add(waiter);
        }

        return kept;
    }

    private void Defer(Waiter waiter)
    {
        var id = _taskId(waiter.Item);
        lock (_gate)
        {
            _processing.Remove(id);
            waiter.NotBefore = _time.GetUtcNow() + _options.MaxRetryDelay;
            _queued[id] = waiter;
        }
    }

    private void Finish(Waiter waiter, SettleOutcome outcome)
    {
        lock (_gate)
        {
            _processing.Remove(_taskId(waiter.Item));
        }

        waiter.Done.TrySetResult(outcome);
    }

    private void Reject(Waiter waiter, string reason)
    {
        lock (_gate)
        {
            _processing.Remove(_taskId(waiter.Item));
        }

        LogRejected(_logger, _kind, _taskId(waiter.Item), reason);
        BridgeSpans.Rejected(_kind, _taskId(waiter.Item), reason);
        BridgeTelemetry.Tasks.Add(1, new("kind", _kind), new("outcome", "rejected"));
        waiter.Done.TrySetException(new TaskRejectedException(reason));
    }

    private TimeSpan RetryBackoffDelay(int failures) => RetryBackoff.Delay(failures, _options.RetryDelay, _options.MaxRetryDelay, Random.Shared.NextDouble());

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chain unavailable for a {Kind} batch of {Count} (attempt {Attempt}): {Reason}; waiting")]
    private static partial void LogChainUnavailable(ILogger logger, string kind, int count, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind}: task {TaskId} is already final on chain (status {Status}); not sent")]
    private static partial void LogAlreadyFinal(ILogger logger, string kind, Hash32 taskId, byte status);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind}: task {TaskId} refused: {Reason}")]
    private static partial void LogRejected(ILogger logger, string kind, Hash32 taskId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind}: task {TaskId} not yet claimable on chain ({Reason}); retried later")]
    private static partial void LogNotYet(ILogger logger, string kind, Hash32 taskId, string reason);

    private sealed class Waiter(TEvent item, DateTimeOffset enqueuedAt)
    {
        public TEvent Item { get; } = item;

        public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;

        public DateTimeOffset NotBefore { get; set; } = enqueuedAt;

        public TaskCompletionSource<SettleOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
