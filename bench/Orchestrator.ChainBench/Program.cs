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
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.ChainBench;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;

// Usage: dotnet run -c Release --project bench/Orchestrator.ChainBench [-- --events 2000 --batch 100 --workers 10 --timeline]
// 1. Gas per finalized task (trust 1, one contributor, 10 workers rotating) for batches of 1, 10 and 100
//    on Anvil, beside PoCo's published cost of the same task done one transaction per step.
// 2. Bridge throughput: N completed-task events published over RabbitMQ (publisher confirms) to the
//    bridge's consumers, batched and sent to Anvil, until every task is final on chain.
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

var vhost = RabbitBroker.CreateVirtualHost();
try
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Orchestrator:RabbitMq:VirtualHost"] = vhost,
        ["Orchestrator:Chain:Enabled"] = "true",
        ["Orchestrator:Chain:ListenerEnabled"] = "false",
        ["Orchestrator:Chain:RpcUrl"] = anvil.Endpoint.ToString(),
        ["Orchestrator:Chain:HubAddress"] = options.HubAddress,
        ["Orchestrator:Chain:PoolAddress"] = options.PoolAddress,
        ["Orchestrator:Chain:SchedulerKey"] = options.SchedulerKey,
        ["Orchestrator:Chain:Confirmations"] = "1",
        ["Orchestrator:Chain:PollInterval"] = "00:00:00.020",
        ["Orchestrator:Chain:BatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
        ["Orchestrator:Chain:BatchAge"] = "00:00:00.200",
        ["Orchestrator:Chain:MaxInFlightBatches"] = "4",
    });
    var store = new InMemoryBridgeStore();
    builder.Services.AddSingleton<IBridgeStore>(store);
    builder.Services.AddRabbitMqBus(builder.Configuration);
    builder.Services.AddChainBridge(builder.Configuration);
    using var host = builder.Build();
    await host.StartAsync();
    var bus = host.Services.GetRequiredService<IEventBus>();

    var dealId = await hub.CreateDealAsync(events, price);
    var stream = TaskEvents.ForDeal(dealId, events, workerKeys, reward);
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(stream.Chunk(100).Select(chunk => bus.PublishAsync(chunk)));
    var published = stopwatch.Elapsed;
    var bridge = host.Services.GetRequiredService<ChainBridge>();
    var nextTimeline = TimeSpan.Zero;
    while (store.Transactions.Where(t => t.Status == TrackedStatus.Confirmed).Sum(t => t.TaskIds.Count) < events)
    {
        if (timeline && stopwatch.Elapsed >= nextTimeline)
        {
            // Where the events are: waiting for a batch, sent, confirmed (the rest are still in RabbitMQ).
            var all = store.Transactions.ToList();
            Console.Error.WriteLine($"t={stopwatch.Elapsed.TotalSeconds:F2} s queued={bridge.Finalizations.Queued} sent={all.Sum(t => t.TaskIds.Count)} transactions={all.Count} confirmed={all.Where(t => t.Status == TrackedStatus.Confirmed).Sum(t => t.TaskIds.Count)}");
            nextTimeline += TimeSpan.FromMilliseconds(250);
        }

        await Task.Delay(20);
    }

    var final = stopwatch.Elapsed;
    var transactions = store.Transactions.Count(t => t.Status == TrackedStatus.Confirmed);
    var gasTotal = store.Transactions.Where(t => t.Status == TrackedStatus.Confirmed).Sum(t => t.GasUsed ?? 0);
    Console.WriteLine();
    Console.WriteLine("| measure | value |");
    Console.WriteLine("| --- | ---: |");
    Console.WriteLine($"| events published (publisher-confirmed) | {events / published.TotalSeconds:N0} events/s ({events} in {published.TotalSeconds:F2} s) |");
    Console.WriteLine($"| events final on chain through the bridge | {events / final.TotalSeconds:N0} events/s ({events} in {final.TotalSeconds:F2} s) |");
    Console.WriteLine($"| transactions | {transactions} ({(double)events / transactions:F1} tasks each), {gasTotal / events:N0} gas per task |");
    await host.StopAsync();
}
finally
{
    RabbitBroker.DeleteVirtualHost(vhost);
}

return 0;

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
