using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Abi;
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

    /// <summary>Deals this listener created (not counting ones that already existed).</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>The cursor's name: one per chain, hub and pool.</summary>
    public string CursorName => $"deals:{options.ChainId}:{options.Hub.ToLowerHex()}:{options.Pool.ToLowerHex()}";

    /// <summary>The lease a listener of this hub and pool holds to read.</summary>
    public static string LeaseNameOf(BridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"listener:{options.ChainId}:{options.Hub.ToLowerHex()}:{options.Pool.ToLowerHex()}";
    }

    /// <summary>Processes every range up to the safe head once (nothing when not the leader); returns the cursor reached.</summary>
    public async Task<long> PollOnceAsync(CancellationToken cancellationToken)
    {
        leadership?.EnsureLeader();
        var head = (long)await rpc.BlockNumberAsync(cancellationToken).ConfigureAwait(false);
        var safe = head - options.ListenerConfirmations;
        var cursor = await _store.GetCursorAsync(CursorName, cancellationToken).ConfigureAwait(false) ?? (options.ListenerStartBlock - 1);
        while (cursor < safe)
        {
            var to = Math.Min(safe, cursor + options.ListenerMaxRange);
            var logs = await rpc.GetLogsAsync(
                new LogFilter
                {
                    FromBlock = BlockParameter.Number(cursor + 1),
                    ToBlock = BlockParameter.Number(to),
                    Addresses = [options.Hub],
                    Topics = [[HubContract.DealCreated.Topic0], null, null, [AbiEvent.EncodeTopic(AbiType.Parse("address"), options.Pool)]],
                },
                cancellationToken).ConfigureAwait(false);
            // Apps and datasets registered on the hub, in the same range: mirrored in chain order with
            // the deals, so a deal sees the registrations made before it.
            var registrations = await rpc.GetLogsAsync(
                new LogFilter
                {
                    FromBlock = BlockParameter.Number(cursor + 1),
                    ToBlock = BlockParameter.Number(to),
                    Addresses = [options.Hub],
                    Topics = [RegistryEvents.Topics],
                },
                cancellationToken).ConfigureAwait(false);
            foreach (var log in logs.Concat(registrations).Where(l => !l.Removed).OrderBy(l => l.BlockNumber).ThenBy(l => l.LogIndex))
            {
                if (log.Topics.Count > 0 && log.Topics[0] == HubContract.DealCreated.Topic0)
                {
                    await CreateAsync(log).ConfigureAwait(false);
                }
                else if (await RegistryEvents.ApplyAsync(grains, log).ConfigureAwait(false) is { } skipped)
                {
                    LogRegistrySkipped(logger, log.TransactionHash, skipped);
                }
            }

            await _store.SetCursorAsync(CursorName, to, cancellationToken).ConfigureAwait(false);
            cursor = to;
        }

        BridgeTelemetry.SetLag(Math.Max(0, head - cursor));
        return cursor;
    }

    private async Task CreateAsync(LogEntry log)
    {
        if (!DealCreatedMapping.TryMap(log, out var spec, out var error))
        {
            LogSkipped(logger, log.TransactionHash, error);
            return;
        }

        if (await RegistryEvents.CheckDealAsync(grains, spec!, options.Pool).ConfigureAwait(false) is { } broken)
        {
            LogRefused(logger, spec!.DealId, broken);
            return;
        }

        var result = await grains.Deal(spec!.DealId).CreateAsync(spec).ConfigureAwait(false);
        if (!result.Accepted)
        {
            LogRefused(logger, spec.DealId, string.Join("; ", result.Errors));
        }
        else if (result.Created)
        {
            await grains.AppRegistry(spec.App).PinAsync(spec.DealId).ConfigureAwait(false);
            Interlocked.Increment(ref _created);
            LogCreated(logger, spec.DealId, spec.BotSize, (long?)log.BlockNumber);
        }
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Deal {DealId} from the chain refused by the cluster: {Errors}")]
    private static partial void LogRefused(ILogger logger, Hash32 dealId, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry log in {Transaction} skipped: {Error}")]
    private static partial void LogRegistrySkipped(ILogger logger, Hash32? transaction, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "DealCreated log in {Transaction} skipped: {Error}")]
    private static partial void LogSkipped(ILogger logger, Hash32? transaction, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deal listener: chain or cluster unavailable (attempt {Attempt}): {Reason}; waiting")]
    private static partial void LogUnavailable(ILogger logger, int attempt, string reason);
}
