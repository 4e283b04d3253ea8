using System.Diagnostics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;
using Spans = Orchestrator.Telemetry.BridgeTelemetry;

namespace Orchestrator.Bridge.Sending;

/// <summary>
/// The bridge's spans, on the source <see cref="Spans.Name"/>. A task's own steps (queued, settled,
/// refused) go into the task's trace (<see cref="TaskTrace"/>), so the trace that starts at deal
/// creation ends with the chain transaction; a transaction, which carries many tasks, gets its own
/// span linked to each of their traces. Every method costs nothing when no listener is attached.
/// </summary>
internal static class BridgeSpans
{
    /// <summary>Span attribute: finalize | claim.</summary>
    public const string Kind = "orchestrator.bridge.kind";

    /// <summary>Span attribute: the transaction's nonce.</summary>
    public const string Nonce = "orchestrator.bridge.nonce";

    /// <summary>Span attribute: the mined transaction's hash.</summary>
    public const string TxHash = "orchestrator.bridge.tx_hash";

    /// <summary>Span attribute: how many tasks the transaction carries.</summary>
    public const string BatchSize = "orchestrator.bridge.batch_size";

    /// <summary>Span attribute: the block that mined the transaction.</summary>
    public const string Block = "orchestrator.bridge.block";

    /// <summary>Span attribute: gas the transaction used.</summary>
    public const string GasUsed = "orchestrator.bridge.gas_used";

    /// <summary>Span attribute: how the task or transaction ended (sent, already_final, rejected, reverted, dropped).</summary>
    public const string Outcome = "orchestrator.bridge.outcome";

    /// <summary>Span attribute: true when the event joined a task already queued or in flight (a redelivery).</summary>
    public const string Duplicate = "orchestrator.bridge.duplicate";

    /// <summary>The task's event was accepted for batching (a short span in the task's trace, linked to the bus's consume span).</summary>
    public static void Queued(string kind, Hash32 taskId, Hash32 dealId, bool duplicate)
    {
        using var span = TaskTrace.Start(Spans.Source, "bridge.task-queued", taskId, ActivityKind.Consumer);
        span?.SetTag(Kind, kind).SetTag(TelemetryTags.DealId, dealId.ToString()).SetTag(Duplicate, duplicate);
    }

    /// <summary>Starts the span of one transaction, a root of its own linked to every task it carries; null without listeners.</summary>
    public static Activity? StartBatch(string kind, IReadOnlyList<Hash32> taskIds)
    {
        if (!Spans.Source.HasListeners())
        {
            return null;
        }

        // A root: the batcher's loop may run under whatever span was current when it started.
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var links = taskIds.Select(id => new ActivityLink(TaskTrace.ContextOf(id))).ToList();
            var span = Spans.Source.StartActivity("bridge.send-batch", ActivityKind.Client, default(ActivityContext), links: links);
            span?.SetTag(Kind, kind).SetTag(BatchSize, taskIds.Count);
            return span;
        }
        finally
        {
            if (Activity.Current is null)
            {
                Activity.Current = previous;
            }
        }
    }

    /// <summary>Marks a signed transaction (first broadcast or fee replacement) on the current transaction span, if it is one.</summary>
    public static void Broadcast(string what, long nonce, Hash32 hash)
    {
        if (Activity.Current is { } batch && ReferenceEquals(batch.Source, Spans.Source) && batch.OperationName == "bridge.send-batch")
        {
            batch.AddEvent(new ActivityEvent(what, tags: new ActivityTagsCollection { [Nonce] = nonce, [TxHash] = hash.ToString() }));
        }
    }

    /// <summary>Records the transaction's end on its span.</summary>
    public static void Sent(Activity? batch, TransactionResult result)
    {
        if (batch is null)
        {
            return;
        }

        batch.SetTag(Nonce, result.Nonce).SetTag(GasUsed, result.GasUsed).SetTag(Outcome, result.Status.ToString().ToLowerInvariant());
        if (result.Hash is { } hash)
        {
            batch.SetTag(TxHash, hash.ToString());
        }

        if (result.Block is { } block)
        {
            batch.SetTag(Block, block);
        }

        if (result.Status != Storage.TrackedStatus.Confirmed)
        {
            batch.SetStatus(ActivityStatusCode.Error, $"transaction {result.Status}");
        }
    }

    /// <summary>A task was settled by a confirmed transaction: a span in its trace, linked to the transaction's span.</summary>
    public static void Settled(string kind, Hash32 taskId, Activity? batch, TransactionResult result, int batchSize)
    {
        using var span = StartInTaskTrace(SettledName(kind), taskId, batch);
        span?.SetTag(Kind, kind).SetTag(Outcome, "sent").SetTag(Nonce, result.Nonce).SetTag(BatchSize, batchSize)
            .SetTag(TxHash, result.Hash?.ToString()).SetTag(Block, result.Block);
    }

    /// <summary>A task was found final on chain already (nothing sent for it).</summary>
    public static void AlreadyFinal(string kind, Hash32 taskId, byte status)
    {
        using var span = StartInTaskTrace(SettledName(kind), taskId, null);
        span?.SetTag(Kind, kind).SetTag(Outcome, "already_final").SetTag("orchestrator.bridge.chain_status", (int)status);
    }

    /// <summary>The chain (or the bridge) refused a task: an error span in its trace.</summary>
    public static void Rejected(string kind, Hash32 taskId, string reason)
    {
        using var span = StartInTaskTrace("bridge.task-rejected", taskId, null);
        span?.SetTag(Kind, kind).SetTag(Outcome, "rejected").SetStatus(ActivityStatusCode.Error, reason);
    }

    private static string SettledName(string kind) => kind == "claim" ? "bridge.task-claimed" : "bridge.task-finalized";

    /// <summary>A span in the task's trace; TaskTrace links it to <paramref name="batch"/> when that is the current span.</summary>
    private static Activity? StartInTaskTrace(string name, Hash32 taskId, Activity? batch)
    {
        var previous = Activity.Current;
        if (batch is not null)
        {
            Activity.Current = batch;
        }

        try
        {
            return TaskTrace.Start(Spans.Source, name, taskId);
        }
        finally
        {
            if (batch is not null)
            {
                Activity.Current = previous;
            }
        }
    }
}
