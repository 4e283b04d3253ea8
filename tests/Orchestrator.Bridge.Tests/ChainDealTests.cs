using Microsoft.Extensions.DependencyInjection;
using System.Numerics;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using Npgsql;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// A deal bought on chain runs through the whole system: the listener creates it in the cluster,
/// simulated workers run it, the outbox publishes over RabbitMQ, the bridge batches finalizations into
/// transactions, and the hub pays. Then the same with the broker restarted and the node frozen mid-deal.
/// </summary>
public sealed class ChainDealTests(ChainDealTests.Fixture cluster) : IClassFixture<ChainDealTests.Fixture>
{
    private static readonly BigInteger Price = BigInteger.Pow(10, 15);
    private static readonly BigInteger WorkersReward = Price * (100 - HubDeployment.SchedulerRatioPercent) / 100;
    private static readonly TimeSpan DealTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The fixture: one chain, broker vhost, database and silo for this class.</summary>
    public sealed class Fixture : BridgeCluster;

    [ChainFact]
    public async Task DealCreatedOnChainIsRunAndEveryTaskIsFinalizedAndPaidInBatches()
    {
        const int tasks = 12;
        var workers = await cluster.StartWorkersAsync(3, Price);
        var before = await Task.WhenAll(workers.Select(w => cluster.Hub.BalanceAsync(w.Address)));
        var poolBefore = await cluster.Hub.BalanceAsync(Accounts.Of(Accounts.PoolOwnerKey));
        try
        {
            var dealId = await cluster.Hub.CreateDealAsync(tasks, Price);
            await WaitAllFinalAsync(dealId, tasks, HubContract.StatusCompleted);

            // The cluster agrees: the deal exists (created from the chain) and every task completed.
            await Eventually.UntilAsync("the deal's counters", async () => (await cluster.Grains.Deal(dealId).GetViewAsync()).Completed == tasks, DealTimeout);

            // Paid as the reward rule says: one contributor per task (trust 1) gets the workers' share,
            // its stake untouched; the pool owner gets the rest of each task's price.
            var winners = await WinnersAsync(dealId, tasks);
            for (var i = 0; i < workers.Count; i++)
            {
                var won = winners.Count(w => w == workers[i].Address);
                Assert.Equal(before[i] + (won * WorkersReward), await cluster.Hub.BalanceAsync(workers[i].Address));
            }

            Assert.Equal(poolBefore + (tasks * (Price - WorkersReward)), await cluster.Hub.BalanceAsync(Accounts.Of(Accounts.PoolOwnerKey)));

            // Batched: fewer transactions than tasks, none reverted, each task in exactly one confirmed transaction.
            var sent = await ConfirmedTaskIdsAsync(dealId, tasks);
            Assert.Equal(tasks, sent.Tasks.Count);
            Assert.Equal(tasks, sent.Tasks.Distinct().Count());
            Assert.InRange(sent.Transactions, 1, tasks - 1);
            Assert.Equal(0, sent.Reverted);
            Assert.Equal(tasks, await cluster.Hub.FinalizedLogCountAsync(dealId));
        }
        finally
        {
            await cluster.StopWorkersAsync();
        }
    }

    [ChainFact]
    public async Task ACallbackDealBoughtOnChainEndsWithReceiveResultAndEveryFinalizationPointsAtThePoolsResults()
    {
        const int tasks = 4;
        var recorder = await cluster.Hub.DeployReceiverAsync("RecordingReceiver");
        await cluster.StartWorkersAsync(3, Price);
        try
        {
            // trust 3: two agreeing workers reveal the digest with the app's callback data
            var dealId = await cluster.Hub.CreateDealAsync(tasks, Price, trust: 3, callback: recorder);
            await WaitAllFinalAsync(dealId, tasks, HubContract.StatusCompleted);

            // Each task: the recorder was called once with bytes whose keccak256 is the task's consensus digest.
            var received = await RecordedAsync(recorder);
            Assert.Equal(tasks, received.Count);
            for (var i = 0; i < tasks; i++)
            {
                var taskId = ProtocolIds.TaskId(dealId, (ulong)i);
                var view = await cluster.Grains.Task(taskId).GetViewAsync();
                Assert.Equal(view.ResultDigest, Orchestrator.Domain.Results.CallbackData.Digest(received[taskId]));
            }

            var calls = await cluster.Hub.LogsAsync(HubContract.CallbackCalled.Topic0);
            Assert.Equal(tasks, calls.Select(l => HubContract.CallbackCalled.DecodeLog(l.Topics, l.Data)).Count(v => (bool)v[2]! && (Address)v[1]! == recorder));

            // The pointer: the deal's TasksFinalized logs name the silo's public results URL.
            var logs = (await cluster.Hub.LogsAsync(HubContract.TasksFinalized.Topic0)).Where(l => l.Topics[1] == dealId).Select(l => HubContract.DecodeTasksFinalizedLog(l.Topics, l.Data)).ToList();
            Assert.Equal(tasks, logs.Sum(l => l.Tasks.Count));
            Assert.All(logs, l => Assert.Equal(BridgeCluster.PublicResultsUrl, l.ResultBase));
        }
        finally
        {
            await cluster.StopWorkersAsync();
        }
    }

    [ChainFact]
    public async Task TheListenerReadingItsRangesAgainCreatesNothingTwice()
    {
        var dealId = await cluster.Hub.CreateDealAsync(2, Price);
        var minedBy = (long)await cluster.Anvil.Client().BlockNumberAsync();
        await Eventually.UntilAsync("the listener's cursor to pass the deal's block", async () => await CursorAsync() >= minedBy, DealTimeout);
        Assert.True((await cluster.Grains.Deal(dealId).GetViewAsync()).Exists);
        var created = cluster.Listener.Created;

        // The cursor is lost (as after a crash before it was saved): every range is read again.
        await using (var connection = new NpgsqlConnection(cluster.ConnectionString))
        {
            await connection.OpenAsync();
            await using var reset = new NpgsqlCommand("UPDATE bridge_cursors SET block_number = -1", connection);
            Assert.Equal(1, await reset.ExecuteNonQueryAsync());
        }

        var cursor = await cluster.Listener.PollOnceAsync(CancellationToken.None);
        Assert.Equal(created, cluster.Listener.Created);
        Assert.True(cursor >= (long)await cluster.Anvil.Client().BlockNumberAsync() - 2);
        Assert.Equal(2, (await cluster.Grains.Deal(dealId).GetViewAsync()).BotSize);
    }

    [ChainFact]
    public async Task RabbitMqRestartedMidDealLosesNothingAndSendsNoTaskTwice()
    {
        const int tasks = 15;
        await cluster.StartWorkersAsync(3, Price);
        try
        {
            // 1. The broker is down while the whole deal runs: every final event's publish fails and
            //    stays in its task's persisted outbox, retried by the grain's timer.
            RabbitBroker.StopApp();
            var dealId = await cluster.Hub.CreateDealAsync(tasks, Price);
            await Eventually.UntilAsync("the deal to complete in the cluster", async () => (await cluster.Grains.Deal(dealId).GetViewAsync()).Completed == tasks, DealTimeout);
            Assert.Equal(0, await CountFinalAsync(dealId, tasks, HubContract.StatusCompleted));
            RabbitBroker.StartApp();

            // 2. Restarted again while the bridge holds unacknowledged messages in open batches and
            //    transactions: they are redelivered, and the bridge sends no task twice.
            await Eventually.UntilAsync("the first finalization", async () => (await ConfirmedTaskIdsAsync(dealId, tasks)).Tasks.Count >= 1 || await CountFinalAsync(dealId, tasks, HubContract.StatusCompleted) >= 1, DealTimeout);
            RabbitBroker.StopApp();
            var bus = cluster.SiloServices.GetRequiredService<MassTransit.IBusControl>();
            await Eventually.UntilAsync("the silo's bus to notice the broker is gone", () => bus.CheckHealth().Status != MassTransit.BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
            RabbitBroker.StartApp();

            await WaitAllFinalAsync(dealId, tasks, HubContract.StatusCompleted);
            var sent = await ConfirmedTaskIdsAsync(dealId, tasks);
            Assert.Equal(tasks, sent.Tasks.Count);
            Assert.Equal(tasks, sent.Tasks.Distinct().Count()); // no task in two confirmed transactions
            Assert.Equal(0, sent.Reverted);
            Assert.Equal(tasks, await cluster.Hub.FinalizedLogCountAsync(dealId));
        }
        finally
        {
            RabbitBroker.StartApp();
            await cluster.StopWorkersAsync();
        }
    }

    [ChainFact]
    public async Task FrozenNodeMakesTheBridgeWaitAndResume()
    {
        const int tasks = 20;
        await cluster.StartWorkersAsync(3, Price);
        try
        {
            var dealId = await cluster.Hub.CreateDealAsync(tasks, Price);
            await Eventually.UntilAsync("the first finalizations", async () => await CountFinalAsync(dealId, tasks, HubContract.StatusCompleted) >= 2, DealTimeout);

            using (var failed = new FailedHttpCalls(cluster.Anvil.Port))
            {
                cluster.Anvil.Freeze();
                // Frozen until the bridge's calls to the node have timed out (it must wait and resume, not give up).
                await Eventually.UntilAsync("the bridge's calls to the frozen node to time out", () => failed.Count >= 3, TimeSpan.FromSeconds(60), () => $"{failed.Count} failed calls");
                cluster.Anvil.Thaw();
            }

            await WaitAllFinalAsync(dealId, tasks, HubContract.StatusCompleted);
            var sent = await ConfirmedTaskIdsAsync(dealId, tasks);
            Assert.Equal(tasks, sent.Tasks.Distinct().Count());
            Assert.Equal(tasks, sent.Tasks.Count);
        }
        finally
        {
            await cluster.StopWorkersAsync();
        }
    }

    [ChainFact]
    public async Task MalformedUnknownAndRefusedMessagesGoToTheErrorQueueWithAReasonAndNothingElseStops()
    {
        var queue = cluster.Queues.Finalizations;
        var errorQueue = queue + "_error";
        var before = await RabbitQueues.DepthAsync(cluster.VirtualHost, errorQueue);

        // Not JSON at all; a MassTransit envelope of a type nobody here consumes; an event whose ids do
        // not match (refused before any batch); an event of a deal the chain does not know (refused by the contract).
        await RabbitQueues.PublishRawAsync(cluster.VirtualHost, queue, "{not json"u8.ToArray(), "application/vnd.masstransit+json");
        var unknown = "{\"messageId\":\"" + Guid.NewGuid() + "\",\"messageType\":[\"urn:message:Orchestrator.Abstractions.Events:TaskCompletedV9\"],\"message\":{\"eventId\":\"x\"}}";
        await RabbitQueues.PublishRawAsync(cluster.VirtualHost, queue, System.Text.Encoding.UTF8.GetBytes(unknown), "application/vnd.masstransit+json");
        var bus = (Orchestrator.Abstractions.Events.IEventBus)cluster.SiloServices.GetService(typeof(Orchestrator.Abstractions.Events.IEventBus))!;
        var strayDeal = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await bus.PublishAsync([Completed(strayDeal, 0, ProtocolIds.TaskId(strayDeal, 1)), Completed(strayDeal, 2, ProtocolIds.TaskId(strayDeal, 2))]);

        await Eventually.UntilAsync("four messages in the error queue", async () => await RabbitQueues.DepthAsync(cluster.VirtualHost, errorQueue) >= before + 4, TimeSpan.FromSeconds(60));

        // The metric's source reads the same depth.
        var depths = await cluster.ErrorQueues.RefreshAsync(CancellationToken.None);
        Assert.Equal(before + 4, depths[errorQueue]);

        // Nothing else stopped: a deal still runs to the end on chain.
        await cluster.StartWorkersAsync(2, Price);
        try
        {
            var dealId = await cluster.Hub.CreateDealAsync(4, Price);
            await WaitAllFinalAsync(dealId, 4, HubContract.StatusCompleted);
        }
        finally
        {
            await cluster.StopWorkersAsync();
        }

        // Each faulted message carries its reason.
        var faults = await RabbitQueues.DrainAsync(cluster.VirtualHost, errorQueue);
        var reasons = faults.Select(f => f.Headers.GetValueOrDefault("MT-Fault-Message", string.Empty)).ToList();
        Assert.Contains(reasons, r => r.Contains("no consumer", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("is not keccak256", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("UnknownDeal", StringComparison.Ordinal));
        Assert.Contains(faults, f => f.Body == "{not json");
    }

    private static Orchestrator.Abstractions.Events.TaskCompletedV1 Completed(Hash32 dealId, long index, Hash32 taskId)
    {
        var worker = Secp256k1.NewPrivateKey();
        var digest = new Hash32(System.Security.Cryptography.SHA256.HashData([1, 2, 3]));
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(Secp256k1.AddressOf(worker), taskId, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), worker).ToBytes65();
        var contribution = new Orchestrator.Abstractions.Events.ContributionRecordV1(Secp256k1.AddressOf(worker), hash, seal, signature, [], Address.Zero, true, 2, 0, WorkersReward, BigInteger.Zero);
        return new Orchestrator.Abstractions.Events.TaskCompletedV1($"task-completed:{taskId}", DateTimeOffset.UtcNow, taskId, dealId, index, digest, hash, [contribution], BigInteger.Zero, false);
    }

    /// <summary>What a RecordingReceiver got, by task id.</summary>
    private async Task<Dictionary<Hash32, byte[]>> RecordedAsync(Address recorder)
    {
        var count = AbiFunction.Parse("count() returns (uint256)");
        var received = AbiFunction.Parse("received(uint256 i) returns (address, bytes32, bytes)");
        var rpc = cluster.Anvil.Client();
        var n = (int)(BigInteger)count.DecodeOutput(await rpc.CallAsync(new Orchestrator.Chain.Rpc.CallRequest { To = recorder, Data = count.EncodeCall() }, Orchestrator.Chain.Rpc.BlockParameter.Latest))[0]!;
        var result = new Dictionary<Hash32, byte[]>();
        for (var i = 0; i < n; i++)
        {
            var r = received.DecodeOutput(await rpc.CallAsync(new Orchestrator.Chain.Rpc.CallRequest { To = recorder, Data = received.EncodeCall(new BigInteger(i)) }, Orchestrator.Chain.Rpc.BlockParameter.Latest));
            result.Add(new Hash32((byte[])r[1]!), (byte[])r[2]!);
        }

        return result;
    }

    private async Task<long> CursorAsync()
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT coalesce(max(block_number), -1) FROM bridge_cursors", connection);
        return (long)(await read.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until every task is final on chain and the bridge has confirmed each (its table's view).</summary>
    private async Task WaitAllFinalAsync(Hash32 dealId, int tasks, byte status)
    {
        await Eventually.UntilAsync($"all {tasks} tasks of {dealId} to be final on chain", async () => await CountFinalAsync(dealId, tasks, status) == tasks, DealTimeout);
        await Eventually.UntilAsync("the bridge to confirm every task", async () => (await ConfirmedTaskIdsAsync(dealId, tasks)).Tasks.Distinct().Count() == tasks, DealTimeout);
    }

    private async Task<int> CountFinalAsync(Hash32 dealId, int tasks, byte status)
    {
        var statuses = await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => cluster.Hub.TaskStatusAsync(dealId, i)));
        return statuses.Count(s => s == status);
    }

    private async Task<List<Address>> WinnersAsync(Hash32 dealId, int tasks)
    {
        var views = await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => cluster.Grains.Task(ProtocolIds.TaskId(dealId, (ulong)i)).GetViewAsync()));
        return views.SelectMany(v => v.Replicates.Where(r => r.Status == ReplicateStatus.Revealed).Select(r => r.Worker)).ToList();
    }

    /// <summary>The tasks of this deal in the bridge's confirmed transactions (from its table), how many transactions, how many reverted.</summary>
    private async Task<(List<Hash32> Tasks, int Transactions, int Reverted)> ConfirmedTaskIdsAsync(Hash32 dealId, int tasks)
    {
        var ours = Enumerable.Range(0, tasks).Select(i => ProtocolIds.TaskId(dealId, (ulong)i).ToString()).ToHashSet();
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status, task_ids FROM bridge_transactions WHERE kind = 'finalize'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var confirmed = new List<Hash32>();
        var transactions = 0;
        var reverted = 0;
        while (await reader.ReadAsync())
        {
            var ids = ((string[])reader[1]).Where(ours.Contains).ToList();
            if (ids.Count == 0)
            {
                continue;
            }

            switch (reader.GetInt16(0))
            {
                case 1:
                    transactions++;
                    confirmed.AddRange(ids.Select(Hash32.Parse));
                    break;
                case 2:
                    reverted++;
                    break;
            }
        }

        return (confirmed, transactions, reverted);
    }
}
