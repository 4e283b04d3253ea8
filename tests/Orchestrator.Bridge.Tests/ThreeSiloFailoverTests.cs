using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Persistence;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// Issue 18's failover, end to end on real parts: three chain-enabled bridge instances (each its own
/// PostgreSQL pool and RabbitMQ connection) on one database, one RabbitMQ virtual host and one Anvil;
/// 2,000 completed tasks published through MassTransit; the leader cut off mid-run as a killed process
/// is (its lease never released). Every task ends final exactly once on chain, every attempt keeps its
/// row, no nonce carries two of our confirmed transactions, and a successor was elected within two lease
/// periods of the kill.
/// </summary>
public sealed class ThreeSiloFailoverTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Tasks = 2_000;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);
    private readonly PostgresDatabase _database = new();
    private readonly RabbitVirtualHost _virtualHost = new();
    private readonly AnvilNode _anvil = new(); // automine: each transaction in its own block at once
    private readonly List<BridgeInstance> _instances = [];
    private HubDeployment _hub = null!;
    private NpgsqlDataSource? _ledger;

    public async Task InitializeAsync()
    {
        if (ChainServices.UnavailableReason is not null)
        {
            return;
        }

        await _virtualHost.InitializeAsync();
        await _database.InitializeAsync();
        _ledger = NpgsqlDataSource.Create(_database.ConnectionString);
        await new SchemaMigrator(_ledger).MigrateAsync();

        await _anvil.StartAsync();
        _hub = await HubDeployment.DeployAsync(_anvil.Client());
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var instance in _instances)
            {
                await instance.DisposeAsync();
            }
        }
        finally
        {
            await DisposeServicesAsync();
        }
    }

    private async Task DisposeServicesAsync()
    {
        if (_ledger is not null)
        {
            await _ledger.DisposeAsync();
        }

        await _anvil.DisposeAsync();
        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    [ChainFact]
    public async Task TheLeaderKilledMidRunLeavesEveryTaskFinalOnceAndItsSuccessorContinuesTheNonces()
    {
        var workers = Enumerable.Range(0, 10).Select(_ => Secp256k1.NewPrivateKey()).ToList();
        await _hub.DepositForAsync(workers.Select(k => Secp256k1.AddressOf(k)), BigInteger.Pow(10, 18));
        var price = BigInteger.Pow(10, 12);
        var dealId = await _hub.CreateDealAsync(Tasks, price);
        var events = TaskEvents.ForDeal(dealId, Tasks, workers, price * (100 - HubDeployment.SchedulerRatioPercent) / 100);

        var deployment = new BridgeDeployment(_virtualHost.Name, _database.ConnectionString, _anvil.Port, _hub.Hub, 100, Lease);
        foreach (var name in new[] { "a", "b", "c" })
        {
            _instances.Add(await BridgeInstance.StartAsync(name, deployment));
        }

        var leaseName = _instances[0].Sender.Leadership!.LeaseName;
        await Eventually.UntilAsync("one instance leads the scheduler account and consumes", () => Task.FromResult(_instances.Any(i => i.Sender.Leads && i.Consuming)));
        // Followers leave the queues to the leader: none holds events it could only hand back.
        Assert.Single(_instances, i => i.Consuming);

        using var publisher = await StartPublisherAsync();
        await Task.WhenAll(events.Chunk(100).Select(chunk => publisher.Services.GetRequiredService<IEventBus>().PublishAsync(chunk)));

        // Mid-run: some batches final on chain, most still to come.
        await Eventually.UntilAsync("the leader finalized a few batches", async () => (await FinalCountAsync(dealId)) >= 300, TimeSpan.FromSeconds(90));
        // The leader now (on a loaded machine a lease may already have changed hands once, which is allowed).
        var before = (await BridgeLedger.LeaseAsync(_ledger!, leaseName))!.Value;
        var leader = _instances.Single(i => i.Holder == before.Holder);
        var elected = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var survivor in _instances.Where(i => i != leader))
        {
            survivor.Sender.Leadership!.Elected += _ => elected.TrySetResult(DateTimeOffset.UtcNow);
        }

        var killedAt = DateTimeOffset.UtcNow;
        leader.Kill();
        var finalAtKill = await FinalCountAsync(dealId);
        Assert.True(finalAtKill < Tasks, $"the run ended ({finalAtKill} final) before the leader was killed: nothing was tested");

        // A successor: another holder, a greater token (the database's clock measures the gap).
        var after = await Eventually.ForAsync(
            "another instance takes the lease",
            () => BridgeLedger.LeaseAsync(_ledger!, leaseName),
            l => l is { } lease && lease.Holder != before.Holder,
            tolerate: ex => ex is NpgsqlException);
        // Measured from the kill to the survivor's election (the grant of the lease in the database).
        var takeover = await elected.Task.WaitAsync(TimeSpan.FromSeconds(60)) - killedAt;
        Assert.True(takeover <= 2 * Lease, $"the successor took over {takeover.TotalSeconds:F1} s after the leader was killed, more than two lease periods ({(2 * Lease).TotalSeconds} s)");
        var successor = after!.Value;
        Assert.True(successor.Token > before.Token);
        Assert.Contains(_instances, i => !i.Killed && i.Holder == successor.Holder);

        // Every task final on chain, each in exactly one TasksFinalized log; the successor consumes, alone.
        await Eventually.UntilAsync("every task final on chain", async () => (await FinalCountAsync(dealId)) == Tasks, TimeSpan.FromSeconds(90));
        Assert.Equal([successor.Holder], _instances.Where(i => !i.Killed && i.Consuming).Select(i => i.Holder));
        var finalized = (await _hub.LogsAsync(HubContract.TasksFinalized.Topic0))
            .Where(l => l.Topics[1] == dealId)
            .SelectMany(l => HubContract.DecodeTasksFinalized(l.Topics, l.Data).Select(t => t.Index))
            .ToList();
        Assert.Equal(Tasks, finalized.Count);
        Assert.Equal(Enumerable.Range(0, Tasks).Select(i => (long)i), finalized.Order());

        // The rows: each task in exactly one confirmed transaction, one confirmed transaction per nonce,
        // the confirmed nonces a gapless run (the successor continued the sequence), and each confirmed row's
        // mined transaction is on chain with exactly the tasks the row says it carried.
        var rows = await Eventually.ForAsync("every row settled", () => BridgeLedger.ReadAsync(_ledger!), r => r.All(x => x.Status != TrackedStatus.Pending));
        var confirmed = rows.Where(r => r.Status == TrackedStatus.Confirmed).ToList();
        var carried = confirmed.SelectMany(r => r.TaskIds).ToList();
        Assert.Equal(Tasks, carried.Count);
        Assert.Equal(events.Select(e => e.TaskId.ToString()).Order(StringComparer.Ordinal), carried.Order(StringComparer.Ordinal));
        Assert.Equal(confirmed.Count, confirmed.Select(r => r.Nonce).Distinct().Count());
        // Mined rows (confirmed, or reverted: a batch racing the killed leader's last one finds its tasks final)
        // use each nonce once, without a gap.
        var mined = rows.Where(r => r.Status is TrackedStatus.Confirmed or TrackedStatus.Reverted).ToList();
        Assert.Equal(mined.Count, mined.Select(r => r.Nonce).Distinct().Count());
        Assert.Equal(mined.Count - 1, mined.Max(r => r.Nonce) - mined.Min(r => r.Nonce));
        Assert.Equal(rows.Count, rows.Select(r => (r.Nonce, r.Attempt)).Distinct().Count());
        output.WriteLine($"killed {leader.Name} at {finalAtKill} of {Tasks} final; successor elected {takeover.TotalSeconds:F2} s after the kill; {rows.Count} rows, {confirmed.Count} confirmed, {BridgeLedger.NonceErrors(rows)} nonce errors, {BridgeLedger.Replaced(rows)} replaced");
        foreach (var row in confirmed)
        {
            var receipt = await _hub.Rpc.GetTransactionReceiptAsync(Hash32.Parse(row.MinedHash!));
            Assert.NotNull(receipt);
            var inLogs = receipt.Logs.Where(l => l.Topics.Count > 0 && l.Topics[0] == HubContract.TasksFinalized.Topic0)
                .SelectMany(l => HubContract.DecodeTasksFinalized(l.Topics, l.Data).Select(t => ProtocolTaskId(l.Topics[1], t.Index)))
                .Order(StringComparer.Ordinal);
            Assert.Equal(row.TaskIds.Order(StringComparer.Ordinal), inLogs);
        }
    }

    private static string ProtocolTaskId(Hash32 dealId, long index) => Domain.Ids.ProtocolIds.TaskId(dealId, (ulong)index).ToString();

    /// <summary>How many of the deal's tasks the hub says are COMPLETED (one view call).</summary>
    private async Task<int> FinalCountAsync(Hash32 dealId)
    {
        var data = HubContract.EncodeTaskStatuses(Enumerable.Range(0, Tasks).Select(i => (dealId, (long)i)).ToList());
        var output = await _hub.Rpc.CallAsync(new CallRequest { To = _hub.Hub, Data = data }, BlockParameter.Latest);
        return HubContract.DecodeTaskStatuses(output).Count(s => s == HubContract.StatusCompleted);
    }

    /// <summary>The cluster's side: a bus that publishes (as the outbox does), straight to the broker.</summary>
    private async Task<IHost> StartPublisherAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:RabbitMq:VirtualHost"] = _virtualHost.Name });
        builder.Services.AddRabbitMqBus(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
