using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Npgsql;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Host.Persistence;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;

// Usage: dotnet run -c Release --project bench/Orchestrator.ChainBench [-- --events 2000 --batch 100 --workers 10 --silos 1 --in-flight 8 --lease-seconds 15 --timeline]
// 1. Gas per finalized task (trust 1, one contributor, 10 workers rotating) for batches of 1, 10 and 100
//    on Anvil, beside PoCo's published cost of the same task done one transaction per step.
// 2. Bridge throughput: N completed-task events published over RabbitMQ (publisher confirms) to the
//    bridge's consumers, batched and sent to Anvil, until every task is final on chain. With --silos 3:
//    three chain-enabled bridges on one PostgreSQL database (leases, rows), reporting the leader, the
//    nonce errors and the replaced transactions.
var events = Arg("--events", 2000);
var batch = Arg("--batch", 100);
var workerCount = Arg("--workers", 10);
var timeline = args.Contains("--timeline"); // prints where the events are every 250 ms (stderr)
const long PocoPerTask = 1_060_000; // PoCo's published averages: initialize + contribute + reveal + finalize, single worker (PoCo, solc 0.8.21)

if (AnvilNode.BinaryPath is null)
{
    Console.Error.WriteLine("anvil is not installed: run `npm ci` in the repository root");
    return 2;
}

var price = BigInteger.Pow(10, 12);
var reward = price * (100 - HubDeployment.SchedulerRatioPercent) / 100;
await using var anvil = new AnvilNode(); // automine: each transaction in its own block at once
await anvil.StartAsync();
var hub = await HubDeployment.DeployAsync(anvil.Client());
var workerKeys = Enumerable.Range(0, workerCount).Select(_ => Secp256k1.NewPrivateKey()).ToList();
await hub.DepositForAsync(workerKeys.Select(k => Secp256k1.AddressOf(k)), BigInteger.Pow(10, 18));
var options = new BridgeOptions
{
    Enabled = true,
    ListenerEnabled = false,
    RpcUrl = anvil.Endpoint,
    HubAddress = hub.Hub.ToChecksumString(),
    PoolAddress = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
    SchedulerKey = Hex.Encode(Accounts.SchedulerKey),
    Confirmations = 1,
    PollInterval = TimeSpan.FromMilliseconds(20),
    BatchSize = batch,
    BatchAge = TimeSpan.FromMilliseconds(200),
    MaxInFlightBatches = 4,
};

Console.WriteLine($"Anvil {anvil.Endpoint}, hub {hub.Hub}, {workerCount} workers, task price {price} wei");
Console.WriteLine();
// The floor: what no contract can avoid for these bytes and signatures (intrinsic 21k shared by the
// batch, calldata at 16/4 gas per non-zero/zero byte, one ecrecover precompile call per signature).
Console.WriteLine("| batch size | gas per finalized task | floor (tx + calldata + ecrecover) | PoCo-style per task (published) | ratio |");
Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = anvil.Endpoint });
await using (var sender = new AccountSender(rpc, new InMemoryBridgeStore(), new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance))
{
    // Warm-up: the pool owner's first credit creates its balance slot (+17k once).
    await FinalizeAsync(sender, 1);
    foreach (var size in new[] { 1, 10, 100 })
    {
        var (gas, floor) = await FinalizeAsync(sender, size);
        var perTask = gas / size;
        Console.WriteLine($"| {size} | {perTask:N0} | {floor / size:N0} | {PocoPerTask:N0} | 1/{(double)PocoPerTask / perTask:F1} |");
    }
}

// Throughput through RabbitMQ.
if (!RabbitBroker.IsInstalled)
{
    Console.Error.WriteLine("rabbitmq-server is not installed: run scripts/services/rabbitmq.sh (throughput skipped)");
    return 0;
}

var silos = Arg("--silos", 1);
var inFlight = Arg("--in-flight", 8); // batches in flight per account (Orchestrator:Chain:MaxInFlightBatches)
var vhost = RabbitBroker.CreateVirtualHost();
try
{
    if (silos == 1)
    {
        await OneBridgeAsync(vhost);
    }
    else
    {
        await SeveralBridgesAsync(vhost, silos);
    }
}
finally
{
    RabbitBroker.DeleteVirtualHost(vhost);
}

return 0;

// One bridge, the bench's own in-memory store (no database, no lease): the bridge's path alone.
async Task OneBridgeAsync(string virtualHost)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Orchestrator:RabbitMq:VirtualHost"] = virtualHost,
        ["Orchestrator:Chain:Enabled"] = "true",
        ["Orchestrator:Chain:ListenerEnabled"] = "false",
        ["Orchestrator:Chain:RpcUrl"] = anvil.Endpoint.ToString(),
        ["Orchestrator:Chain:HubAddress"] = options.HubAddress,
        ["Orchestrator:Chain:PoolAddress"] = options.PoolAddress,
        ["Orchestrator:Chain:SchedulerKey"] = options.SchedulerKey,
        ["Orchestrator:Chain:Confirmations"] = "1",
        ["Orchestrator:Chain:FinalityDepth"] = "1", // automining: no later block comes unless the bridge sends one
        ["Orchestrator:Chain:PollInterval"] = "00:00:00.020",
        ["Orchestrator:Chain:BatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
        ["Orchestrator:Chain:BatchAge"] = "00:00:00.200",
        ["Orchestrator:Chain:MaxInFlightBatches"] = inFlight.ToString(CultureInfo.InvariantCulture),
    });
    var store = new InMemoryBridgeStore();
    builder.Services.AddSingleton<IBridgeStore>(store);
    builder.Services.AddRabbitMqBus(builder.Configuration);
    builder.Services.AddChainBridge(builder.Configuration);
    using var host = builder.Build();
    await host.StartAsync();
    var bridge = host.Services.GetRequiredService<ChainBridge>();
    var (published, final) = await RunAsync(
        host.Services.GetRequiredService<IEventBus>(),
        () => Task.FromResult(store.Transactions.Where(t => t.Status == TrackedStatus.Confirmed).Sum(t => t.TaskIds.Count)),
        () =>
        {
            var all = store.Transactions.ToList();
            return Task.FromResult($"queued={bridge.Finalizations.Queued} sent={all.Sum(t => t.TaskIds.Count)} transactions={all.Count}");
        });
    var confirmed = store.Transactions.Where(t => t.Status == TrackedStatus.Confirmed).ToList();
    Report(published, final, confirmed.Count, confirmed.Sum(t => t.TaskIds.Count), confirmed.Sum(t => t.GasUsed ?? 0));
    await host.StopAsync();
}

// Several chain-enabled bridges as several silos run them: one database (leases, rows), one RabbitMQ,
// one Anvil, each bridge its own connection pool and bus connection; one leads the account.
async Task SeveralBridgesAsync(string virtualHost, int count)
{
    await using var database = new PostgresDatabase();
    await database.InitializeAsync();
    await using var ledger = NpgsqlDataSource.Create(database.ConnectionString);
    await new SchemaMigrator(ledger).MigrateAsync();

    var deployment = new BridgeDeployment(virtualHost, database.ConnectionString, anvil.Port, hub.Hub, batch, TimeSpan.FromSeconds(Arg("--lease-seconds", 15)), Relayed: false, MaxInFlightBatches: inFlight);
    var instances = new List<BridgeInstance>();
    try
    {
        for (var i = 0; i < count; i++)
        {
            instances.Add(await BridgeInstance.StartAsync($"silo-{i + 1}", deployment));
        }

        while (!instances.Any(i => i.Sender.Leads && i.Consuming))
        {
            await Task.Delay(20);
        }

        var publisherBuilder = Host.CreateApplicationBuilder();
        publisherBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        publisherBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:RabbitMq:VirtualHost"] = virtualHost });
        publisherBuilder.Services.AddRabbitMqBus(publisherBuilder.Configuration);
        using var publisher = publisherBuilder.Build();
        await publisher.StartAsync();
        var (published, final) = await RunAsync(
            publisher.Services.GetRequiredService<IEventBus>(),
            () => BridgeLedger.ConfirmedTaskCountAsync(ledger),
            async () =>
            {
                var rows = await BridgeLedger.ReadAsync(ledger);
                return $"queued={string.Join('/', instances.Select(i => i.Bridge.Finalizations.Queued))} sent={rows.Sum(r => r.TaskIds.Count)} transactions={rows.Count}";
            });
        var rows = await BridgeLedger.ReadAsync(ledger);
        var lease = await BridgeLedger.LeaseAsync(ledger, instances[0].Sender.Leadership!.LeaseName);
        var leader = instances.FirstOrDefault(i => i.Holder == lease?.Holder)?.Name ?? "none";
        var confirmed = rows.Where(r => r.Status == TrackedStatus.Confirmed).ToList();
        Report(published, final, confirmed.Count, confirmed.Sum(r => r.TaskIds.Count), 0);
        Console.WriteLine($"| bridge instances (one database, one RabbitMQ, one Anvil) | {count}, leader {leader} (lease token {lease?.Token}) |");
        Console.WriteLine($"| nonce errors (attempts dropped or a nonce written twice) | {BridgeLedger.NonceErrors(rows)} |");
        Console.WriteLine($"| replaced transactions (same nonce, higher fees) | {BridgeLedger.Replaced(rows)} |");
        await publisher.StopAsync();
    }
    finally
    {
        foreach (var instance in instances)
        {
            await instance.DisposeAsync();
        }
    }
}

// Publishes the events (publisher confirms) and waits until every task is final on chain. A warm-up deal
// of one batch goes the same way first, untimed: the first events of a process pay for JIT compilation
// and connection set-up on both sides (about 2 s of the first run here, with nothing consumed), which
// is not the steady rate this measures.
async Task<(TimeSpan Published, TimeSpan Final)> RunAsync(IEventBus bus, Func<Task<int>> finalCount, Func<Task<string>> where)
{
    var warmUp = await hub.CreateDealAsync(batch, price);
    await bus.PublishAsync([.. TaskEvents.ForDeal(warmUp, batch, workerKeys, reward)]);
    while (await finalCount() < batch)
    {
        await Task.Delay(20);
    }

    var baseline = await finalCount();
    var dealId = await hub.CreateDealAsync(events, price);
    var stream = TaskEvents.ForDeal(dealId, events, workerKeys, reward);
    var stopwatch = Stopwatch.StartNew();
    var publishing = Task.WhenAll(stream.Chunk(100).Select(chunk => bus.PublishAsync(chunk)));
    var published = TimeSpan.Zero;
    var nextTimeline = TimeSpan.Zero;
    while (true)
    {
        if (published == TimeSpan.Zero && publishing.IsCompleted)
        {
            await publishing;
            published = stopwatch.Elapsed;
        }

        var final = await finalCount() - baseline;
        if (published != TimeSpan.Zero && final >= events)
        {
            return (published, stopwatch.Elapsed);
        }

        if (timeline && stopwatch.Elapsed >= nextTimeline)
        {
            // Where the events are: waiting for a batch, sent, final (the rest are still in RabbitMQ).
            Console.Error.WriteLine($"t={stopwatch.Elapsed.TotalSeconds:F2} s published={(published == TimeSpan.Zero ? "no" : "yes")} {await where()} final={final}");
            nextTimeline += TimeSpan.FromMilliseconds(250);
        }

        await Task.Delay(20);
    }
}

// Transactions and gas count the warm-up batch too (tasks is what they carried).
void Report(TimeSpan published, TimeSpan final, int transactions, int tasks, long gasTotal)
{
    Console.WriteLine();
    Console.WriteLine("| measure | value |");
    Console.WriteLine("| --- | ---: |");
    Console.WriteLine($"| events published (publisher-confirmed) | {events / published.TotalSeconds:N0} events/s ({events} in {published.TotalSeconds:F2} s) |");
    Console.WriteLine($"| events final on chain through the bridge | {events / final.TotalSeconds:N0} events/s ({events} in {final.TotalSeconds:F2} s) |");
    Console.WriteLine($"| final / published | {published.TotalSeconds / final.TotalSeconds:P0} |");
    Console.WriteLine($"| transactions (warm-up included) | {transactions} ({(double)tasks / transactions:F1} tasks each){(gasTotal > 0 ? $", {gasTotal / tasks:N0} gas per task" : string.Empty)} |");
}

async Task<(long Gas, long Floor)> FinalizeAsync(AccountSender sender, int size)
{
    var deal = await hub.CreateDealAsync(size, price);
    var items = TaskEvents.ForDeal(deal, size, workerKeys, reward);
    var data = HubContract.EncodeFinalizeBatch(items, "https://pool.example.org");
    var estimate = await rpc.EstimateGasAsync(new CallRequest { From = sender.Account, To = hub.Hub, Data = data });
    var result = await sender.SendAsync("finalize", data, (estimate * 6 / 5) + 20_000, items.Select(i => i.TaskId).ToList(), CancellationToken.None);
    if (result.Status != TrackedStatus.Confirmed)
    {
        throw new InvalidOperationException($"batch of {size} ended {result.Status}");
    }

    var calldata = data.Sum(b => b == 0 ? 4L : 16L);
    var signatures = items.Sum(i => i.Contributions.Count);
    return (result.GasUsed, 21_000 + calldata + (3_000 * signatures));
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
