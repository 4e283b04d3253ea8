using System.Diagnostics;
using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;
using BridgeSource = Orchestrator.Telemetry.BridgeTelemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>
/// The chain bridge continues each task's trace to its transaction, and the transaction's span links
/// to every task it carries.
/// <para>
/// This drives the bridge's components directly (not a silo, not a bus): the batcher the
/// TaskCompletedV1 consumer hands events to, the account sender, a real Anvil node with the hub
/// deployed, and an in-memory store. The bus is RabbitMQ-only in the bridge (BusTraceTests covers
/// MassTransit's publish span in the task's trace), so the consumer's span is stood in for by a span of
/// a foreign trace around the enqueue, as MassTransit's consume span would be. The contract call is an
/// empty claim batch so that no deal has to be created and contributed to on chain: the spans under
/// test do not depend on what the transaction does, only on it being sent, mined and confirmed.
/// </para>
/// </summary>
public sealed class BridgeTraceTests
{
    private static readonly ActivitySource Consumer = new("Orchestrator.Observability.Tests.Consumer");

    [AnvilFact]
    public async Task A_tasks_bridge_spans_are_in_its_trace_and_its_transaction_links_to_every_task()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(BridgeSource.Name, Consumer.Name)
            .AddInMemoryExporter(spans)
            .Build();
        await using var anvil = new AnvilNode { BlockTime = 1 };
        await anvil.StartAsync();
        var hub = await HubDeployment.DeployAsync(anvil.Client());

        var options = new BridgeOptions
        {
            Enabled = true,
            RpcUrl = anvil.Endpoint,
            HubAddress = hub.Hub.ToChecksumString(),
            PoolAddress = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            SchedulerKey = Hex.Encode(Accounts.SchedulerKey),
            Confirmations = 1,
            PollInterval = TimeSpan.FromMilliseconds(100),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
            BatchSize = 3,
            BatchAge = TimeSpan.FromMilliseconds(300),
        };
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = anvil.Endpoint, RequestTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 });
        var store = new InMemoryBridgeStore();
        await using var sender = new AccountSender(rpc, store, new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance);
        await using var batcher = new TaskBatcher<TaskCompletedV1>(
            "finalize", e => e.TaskId, e => e.DealId, e => e.Index, _ => HubContract.EncodeClaimBatch([]), _ => 1_000_000, sender, rpc, options, TimeProvider.System, NullLogger.Instance);

        var deal = Random32();
        var events = Enumerable.Range(0, 3).Select(i => Completed(deal, i)).ToList();
        var consumeSpans = new Dictionary<Hash32, ActivityContext>();
        var settling = new List<Task<SettleOutcome>>();
        foreach (var completed in events)
        {
            using var consume = Consumer.StartActivity("consume TaskCompletedV1", ActivityKind.Consumer);
            Assert.NotNull(consume);
            consumeSpans[completed.TaskId] = consume.Context;
            settling.Add(batcher.EnqueueAsync(completed, CancellationToken.None));
        }

        // A redelivery of the first event joins it: one more "queued" span, marked duplicate, nothing sent twice.
        settling.Add(batcher.EnqueueAsync(events[0], CancellationToken.None));
        var outcomes = await Task.WhenAll(settling).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(outcomes, o => Assert.Equal(SettleOutcome.Sent, o));
        tracing.ForceFlush();

        Activity[] bridge;
        lock (spans)
        {
            bridge = spans.Where(s => s.Source.Name == BridgeSource.Name).ToArray();
        }

        var batches = bridge.Where(s => s.OperationName == "bridge.send-batch").ToList();
        var batch = Assert.Single(batches);
        var transaction = Assert.Single(store.Transactions);
        Assert.Equal(transaction.Nonce, batch.GetTagItem("orchestrator.bridge.nonce"));
        Assert.Equal(transaction.MinedHash!.Value.ToString(), batch.GetTagItem("orchestrator.bridge.tx_hash"));
        Assert.Equal(3, batch.GetTagItem("orchestrator.bridge.batch_size"));
        Assert.Equal(transaction.GasUsed, batch.GetTagItem("orchestrator.bridge.gas_used"));
        Assert.Contains(batch.Events, e => e.Name == "sent");
        Assert.DoesNotContain(events, e => batch.TraceId == TaskTrace.ContextOf(e.TaskId).TraceId); // a trace of its own

        foreach (var completed in events)
        {
            var traceId = TaskTrace.ContextOf(completed.TaskId).TraceId;
            var inTrace = bridge.Where(s => s.TraceId == traceId).ToList();
            Assert.All(inTrace, s => Assert.Equal(completed.TaskId.ToString(), s.GetTagItem(TelemetryTags.TaskId)));

            // Accepted for batching: in the task's trace, linked to the consumer's span it came from.
            var queued = inTrace.Where(s => s.OperationName == "bridge.task-queued").ToList();
            Assert.NotEmpty(queued);
            Assert.All(queued, q => Assert.Equal(ActivityKind.Consumer, q.Kind));
            Assert.Contains(queued, q => q.Links.Any(l => l.Context.SpanId == consumeSpans[completed.TaskId].SpanId));
            Assert.Equal(completed == events[0] ? 2 : 1, queued.Count);

            // Settled: one span in the task's trace carrying the transaction, linked to the transaction's span.
            var finalized = Assert.Single(inTrace, s => s.OperationName == "bridge.task-finalized");
            Assert.Equal(transaction.MinedHash.Value.ToString(), finalized.GetTagItem("orchestrator.bridge.tx_hash"));
            Assert.Equal(transaction.Nonce, finalized.GetTagItem("orchestrator.bridge.nonce"));
            Assert.Equal(transaction.Block, finalized.GetTagItem("orchestrator.bridge.block"));
            Assert.Equal(3, finalized.GetTagItem("orchestrator.bridge.batch_size"));
            Assert.Contains(finalized.Links, l => l.Context.SpanId == batch.SpanId && l.Context.TraceId == batch.TraceId);

            // The transaction's span links to the task's trace.
            Assert.Contains(batch.Links, l => l.Context.TraceId == traceId);
        }

        Assert.Equal(1, bridge.Count(s => s.OperationName == "bridge.task-queued" && Equals(s.GetTagItem("orchestrator.bridge.duplicate"), true)));
    }

    private static TaskCompletedV1 Completed(Hash32 deal, int index)
        => new(Guid.NewGuid().ToString("n"), DateTimeOffset.UtcNow, Random32(), deal, index, Random32(), Random32(), [], BigInteger.Zero, TeeFastPath: false);

    private static Hash32 Random32() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
