using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Bridge.Sending;

/// <summary>The bridge of one scheduler account: its sender and its two batchers (finalizations, claims).</summary>
public sealed class ChainBridge : IAsyncDisposable
{
    /// <summary>
    /// Creates the bridge. <paramref name="resultBase"/> is the pool's public results API
    /// (<see cref="ResultPointerOptions"/>), named by every finalization so the hub's TasksFinalized logs point at the results.
    /// </summary>
    public ChainBridge(EthereumRpcClient rpc, AccountSender sender, BridgeOptions options, TimeProvider time, ILoggerFactory loggers, string resultBase = "")
    {
        ArgumentNullException.ThrowIfNull(loggers);
        Sender = sender;
        Clock = time;
        ResultBase = resultBase;
        Finalizations = new TaskBatcher<TaskCompletedV1>(
            "finalize", e => e.TaskId, e => e.DealId, e => e.Index, tasks => HubContract.EncodeFinalizeBatch(tasks, resultBase), GasBounds.Finalize, sender, rpc, options, time,
            loggers.CreateLogger("Orchestrator.Bridge.Finalizations"), GasBounds.CallbackCost, GasBounds.CallbackBudget);
        Claims = new TaskBatcher<TaskFailedV1>(
            "claim", e => e.TaskId, e => e.DealId, e => e.Index, tasks => HubContract.EncodeClaimBatch([.. tasks]), tasks => GasBounds.Claim(tasks.Count), sender, rpc, options, time, loggers.CreateLogger("Orchestrator.Bridge.Claims"));
    }

    /// <summary>The result base every finalization names (empty: none).</summary>
    public string ResultBase { get; }

    /// <summary>The bridge's clock.</summary>
    public TimeProvider Clock { get; }

    /// <summary>The account's sender.</summary>
    public AccountSender Sender { get; }

    /// <summary>Completed tasks → finalizeBatch.</summary>
    public TaskBatcher<TaskCompletedV1> Finalizations { get; }

    /// <summary>Failed tasks → claimBatch (the requester's refund).</summary>
    public TaskBatcher<TaskFailedV1> Claims { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Finalizations.DisposeAsync().ConfigureAwait(false);
        await Claims.DisposeAsync().ConfigureAwait(false);
        await Sender.DisposeAsync().ConfigureAwait(false);
    }
}
