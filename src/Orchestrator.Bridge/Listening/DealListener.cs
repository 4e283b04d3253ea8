using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Reorgs;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;

namespace Orchestrator.Bridge.Listening;

/// <summary>
/// Reads the hub's <c>DealCreated</c> logs for this pool, <see cref="BridgeOptions.ListenerConfirmations"/>
/// blocks behind the head, from a block cursor persisted after each range, and creates each deal in the
/// cluster (<see cref="IDealGrain.CreateAsync"/> is idempotent, so a range read again after a crash
/// creates nothing twice). A deal the cluster refuses is logged and skipped; it does not stop the listener.
/// With a <see cref="BridgeLeadership"/> (several silos) only the hub's lease holder reads, and its
/// cursor moves are fenced by the lease's token, so a deposed listener cannot move the cursor back.
/// <para>
/// Reorganisations: the confirmations keep shallow ones away; a deeper one is found by the cursor's kept
/// block hashes (<see cref="ListenerCursor"/>, <see cref="BridgeOptions.ListenerHashHistory"/> of them).
/// Each poll compares the chain's hash at the cursor with the kept one; when they differ the listener
/// walks back to the fork and reads the new chain from there. A deal created from an undone block that
/// reappears (same id, any block) is kept, once; one that has not reappeared when the new chain is read
/// up to the height the old one was known to have (the cursor plus the confirmations) is cancelled (<see cref="IDealGrain.CancelAsync"/>). A fork deeper than
/// the kept hashes stops the listener with <see cref="ReorgTooDeepException"/> rather than lose deals silently.
/// </para>
/// </summary>
public sealed partial class DealListener(
    EthereumRpcClient rpc,
    IBridgeStore store,
    IGrainFactory grains,
    BridgeOptions options,
    TimeProvider time,
    ILogger<DealListener> logger,
    BridgeLeadership? leadership = null) : BackgroundService
{
    private readonly IBridgeStore _store = leadership is null ? store : store.FencedBy(leadership);

    private long _created;
    private long _cancelled;
    private long _reorgs;
    private long? _haltedAt;

    /// <summary>Deals this listener created (not counting ones that already existed).</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Deals this listener cancelled because their creation vanished in a reorganisation.</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Reorganisations this listener walked back.</summary>
    public long Reorgs => Interlocked.Read(ref _reorgs);

    /// <summary>The cursor's name: one per chain, hub and pool.</summary>
    public string CursorName => $"deals:{options.ChainId}:{options.Hub.ToLowerHex()}:{options.Pool.ToLowerHex()}";

    /// <summary>The lease a listener of this hub and pool holds to read.</summary>
    public static string LeaseNameOf(BridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"listener:{options.ChainId}:{options.Hub.ToLowerHex()}:{options.Pool.ToLowerHex()}";
    }

    /// <summary>
    /// Checks the cursor's block against the chain (walking back after a reorganisation), then processes
    /// every range up to the safe head once (nothing when not the leader); returns the cursor reached.
    /// </summary>
    /// <exception cref="ReorgTooDeepException">The chain forked below every block hash kept.</exception>
    public async Task<long> PollOnceAsync(CancellationToken cancellationToken)
    {
        leadership?.EnsureLeader();
        var cursor = await _store.GetListenerCursorAsync(CursorName, cancellationToken).ConfigureAwait(false) ?? ListenerCursor.At(options.ListenerStartBlock - 1);
        cursor = await WalkBackIfForkedAsync(cursor, cancellationToken).ConfigureAwait(false);

        var head = (long)await rpc.BlockNumberAsync(cancellationToken).ConfigureAwait(false);
        var safe = head - options.ListenerConfirmations;
        while (cursor.Block < safe)
        {
            var from = cursor.Block + 1;
            var to = Math.Min(safe, cursor.Block + options.ListenerMaxRange);
            var logs = await rpc.GetLogsAsync(
                new LogFilter
                {
                    FromBlock = BlockParameter.Number(from),
                    ToBlock = BlockParameter.Number(to),
                    Addresses = [options.Hub],
                    Topics = [[HubContract.DealCreated.Topic0], null, null, [AbiEvent.EncodeTopic(AbiType.Parse("address"), options.Pool)]],
                },
                cancellationToken).ConfigureAwait(false);
            // Apps and datasets registered on the hub, and the book's orders matched or cancelled on it, in the same
            // range: mirrored in chain order with the deals, so a deal sees the registrations made before it.
            var registrations = await rpc.GetLogsAsync(
                new LogFilter
                {
                    FromBlock = BlockParameter.Number(from),
                    ToBlock = BlockParameter.Number(to),
                    Addresses = [options.Hub],
                    Topics = [[.. RegistryEvents.Topics, .. OrderEvents.Topics]],
                },
                cancellationToken).ConfigureAwait(false);
            var live = logs.Concat(registrations).Where(l => !l.Removed).OrderBy(l => l.BlockNumber).ThenBy(l => l.LogIndex).ToList();
            var tail = await TailHashesAsync(cursor, from, to, live, cancellationToken).ConfigureAwait(false);
            var seen = new List<SeenLog>();
            foreach (var log in live)
            {
                if (log.Topics.Count > 0 && log.Topics[0] == HubContract.DealCreated.Topic0)
                {
                    if (await CreateAsync(log).ConfigureAwait(false) is { } dealId)
                    {
                        seen.Add(new SeenLog(dealId, (long)log.BlockNumber!.Value));
                    }
                }
                else if (await (OrderEvents.Handles(log) ? OrderEvents.ApplyAsync(grains, log) : RegistryEvents.ApplyAsync(grains, log)).ConfigureAwait(false) is { } skipped)
                {
                    LogRegistrySkipped(logger, log.TransactionHash, skipped);
                }
            }

            cursor = cursor.Advance(to, tail, seen, options.ListenerHashHistory);
            cursor = await CancelVanishedAsync(cursor).ConfigureAwait(false);
            await _store.SetListenerCursorAsync(CursorName, cursor, cancellationToken).ConfigureAwait(false);
        }

        _haltedAt = null;
        BridgeTelemetry.SetLag(Math.Max(0, head - cursor.Block));
        return cursor.Block;
    }

    /// <summary>Compares the cursor with the chain; after a fork, rewinds to it and saves the rewound cursor (its orphans included).</summary>
    private async Task<ListenerCursor> WalkBackIfForkedAsync(ListenerCursor cursor, CancellationToken cancellationToken)
    {
        long fork;
        try
        {
            fork = await cursor.FindForkAsync(async block => (await rpc.GetBlockByNumberAsync(BlockParameter.Number(block), cancellationToken).ConfigureAwait(false))?.Hash).ConfigureAwait(false);
        }
        catch (ReorgTooDeepException ex)
        {
            // Counted and logged once per halt; every poll refuses until an operator acts.
            if (_haltedAt != ex.Cursor)
            {
                _haltedAt = ex.Cursor;
                BridgeTelemetry.ListenerReorgs.Add(1, new KeyValuePair<string, object?>("outcome", "too_deep"), new KeyValuePair<string, object?>("depth", ex.Kept));
                LogTooDeep(logger, ex.Message);
            }

            throw;
        }

        if (fork == cursor.Block)
        {
            return cursor;
        }

        var depth = cursor.Block - fork;
        var rewound = cursor.RewindTo(fork, options.ListenerConfirmations);
        // Saved before reading on: the orphans must survive a crash, or a deal undone now would never be judged.
        await _store.SetListenerCursorAsync(CursorName, rewound, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _reorgs);
        BridgeTelemetry.ListenerReorgs.Add(1, new KeyValuePair<string, object?>("outcome", "walked_back"), new KeyValuePair<string, object?>("depth", depth));
        BridgeTelemetry.ListenerReorgDepth.Record(depth);
        LogReorg(logger, depth, cursor.Block, fork, rewound.Orphans.Count);
        return rewound;
    }

    /// <summary>
    /// Hashes of the range's last blocks (as many as are kept), checked against the logs just read and
    /// against the cursor's own last hash: if the chain moved in between, the range is read again at the next poll.
    /// </summary>
    private async Task<IReadOnlyList<Hash32>> TailHashesAsync(ListenerCursor cursor, long from, long to, IReadOnlyList<LogEntry> logs, CancellationToken cancellationToken)
    {
        var first = Math.Max(from, to - options.ListenerHashHistory + 1);
        var hashes = new List<Hash32>((int)(to - first + 1));
        for (var block = first; block <= to; block++)
        {
            var header = await rpc.GetBlockByNumberAsync(BlockParameter.Number(block), cancellationToken).ConfigureAwait(false)
                ?? throw new ChainMovedException($"block {block} vanished while the listener read it");
            if (block == cursor.Block + 1 && cursor.HashAt(cursor.Block) is { } parent && header.ParentHash != parent)
            {
                throw new ChainMovedException($"block {block} no longer follows the cursor's block {cursor.Block}");
            }

            hashes.Add(header.Hash);
        }

        foreach (var log in logs.Where(l => l.BlockNumber >= first))
        {
            if (log.BlockHash is { } hash && hash != hashes[(int)((long)log.BlockNumber!.Value - first)])
            {
                throw new ChainMovedException($"the log in {log.TransactionHash} names block {hash}, no longer the chain's block {log.BlockNumber}");
            }
        }

        return hashes;
    }

    /// <summary>Cancels the orphans due now (the new chain is read as high as the old one was) and forgets them.</summary>
    private async Task<ListenerCursor> CancelVanishedAsync(ListenerCursor cursor)
    {
        var due = cursor.DueOrphans();
        foreach (var orphan in due)
        {
            var reason = $"its DealCreated log (block {orphan.Block}) was undone by a chain reorganisation and did not reappear by block {cursor.Block}";
            var view = await grains.Deal(orphan.Id).CancelAsync(reason).ConfigureAwait(false);
            if (view.Cancelled)
            {
                Interlocked.Increment(ref _cancelled);
                BridgeTelemetry.DealsCancelled.Add(1);
                LogCancelled(logger, orphan.Id, reason);
            }
            else if (view.Exists)
            {
                LogNotCancelled(logger, orphan.Id);
            }
        }

        return due.Count == 0 ? cursor : cursor.WithoutOrphans(due);
    }

    /// <summary>Creates the log's deal; returns its id when the cluster has it (created now or before).</summary>
    private async Task<Hash32?> CreateAsync(LogEntry log)
    {
        if (!DealCreatedMapping.TryMap(log, out var spec, out var error))
        {
            LogSkipped(logger, log.TransactionHash, error);
            return null;
        }

        if (await RegistryEvents.CheckDealAsync(grains, spec!, options.Pool).ConfigureAwait(false) is { } broken)
        {
            LogRefused(logger, spec!.DealId, broken);
            return null;
        }

        var deal = grains.Deal(spec!.DealId);
        var result = await deal.CreateAsync(spec).ConfigureAwait(false);
        if (!result.Accepted)
        {
            // A deal mined again after a reorganisation keeps its id but its block's timestamp (its start
            // time) moved: it is the same deal, kept as first created (its deadlines a few seconds early).
            if ((await deal.GetViewAsync().ConfigureAwait(false)).Exists)
            {
                LogReappeared(logger, spec.DealId, (long?)log.BlockNumber, string.Join("; ", result.Errors));
                return spec.DealId;
            }

            LogRefused(logger, spec.DealId, string.Join("; ", result.Errors));
            return null;
        }

        if (result.Created)
        {
            Interlocked.Increment(ref _created);
            LogCreated(logger, spec.DealId, spec.BotSize, (long?)log.BlockNumber);
        }

        return spec.DealId;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (leadership is not null && !leadership.IsLeader)
                {
                    // Another silo reads the hub; look again when this one might have taken the lease.
                    await Task.Delay(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await PollOnceAsync(stoppingToken).ConfigureAwait(false);
                failures = 0;
                await Task.Delay(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures++;
                LogUnavailable(logger, failures, ex.Message);
                await Task.Delay(RetryBackoff.Delay(failures, options.RetryDelay, options.MaxRetryDelay, Random.Shared.NextDouble()), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deal {DealId} from the chain created in the cluster ({BotSize} tasks, block {Block})")]
    private static partial void LogCreated(ILogger logger, Hash32 dealId, int botSize, long? block);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deal {DealId} read again at block {Block} with other terms, kept as first created: {Errors}")]
    private static partial void LogReappeared(ILogger logger, Hash32 dealId, long? block, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deal {DealId} from the chain refused by the cluster: {Errors}")]
    private static partial void LogRefused(ILogger logger, Hash32 dealId, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry log in {Transaction} skipped: {Error}")]
    private static partial void LogRegistrySkipped(ILogger logger, Hash32? transaction, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "DealCreated log in {Transaction} skipped: {Error}")]
    private static partial void LogSkipped(ILogger logger, Hash32? transaction, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chain reorganised {Depth} blocks under the deal listener: cursor {Cursor} walked back to the fork at {Fork}; {Orphans} deals wait to reappear")]
    private static partial void LogReorg(ILogger logger, long depth, long cursor, long fork, int orphans);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Deal listener stopped: {Reason}")]
    private static partial void LogTooDeep(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deal {DealId} cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, Hash32 dealId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deal {DealId} vanished from the chain but had already finished in the cluster: its finalizations are refused on chain (unknown deal)")]
    private static partial void LogNotCancelled(ILogger logger, Hash32 dealId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deal listener: chain or cluster unavailable (attempt {Attempt}): {Reason}; waiting")]
    private static partial void LogUnavailable(ILogger logger, int attempt, string reason);
}
