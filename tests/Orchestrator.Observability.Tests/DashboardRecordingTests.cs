using System.Numerics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Metrics;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge;
using Orchestrator.Bridge.Bus;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Listening;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;
using Orchestrator.Simulation;
using Orchestrator.Telemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>
/// The Grafana dashboard charts what the code records: a real silo runs a TEE deal (attestation,
/// secret releases, consensus, lost workers) through its OpenTelemetry pipeline, the chain bridge's own
/// code sends, replaces and confirms a batch on a real Anvil node, reads the chain for deals and
/// watches its error queues on a real RabbitMQ broker, all while that pipeline exports; every query of
/// the dashboard must then name a series the run exported, as the Prometheus exporter names it.
/// </summary>
public sealed partial class DashboardRecordingTests
{
    /// <summary>The meters the run records: the silo's, and the bridge's (which the silo's pipeline exports too).</summary>
    private static readonly string[] RecordedMeters = [GrainsTelemetry.Name, AttestationTelemetry.Name, SecretsTelemetry.Name, BridgeTelemetry.Name];

    [ChainFact]
    public async Task Every_dashboard_query_names_a_series_a_real_run_records()
    {
        var recorded = await RecordRunAsync();
        var series = recorded.SelectMany(SeriesOf).ToHashSet(StringComparer.Ordinal);
        var declared = PrometheusNames.Instruments().Where(i => RecordedMeters.Contains(i.Meter.Name)).Select(i => i.Name.Replace('.', '_')).ToList();

        var queried = DashboardMetricNames();
        var unknown = queried.Where(q => !declared.Any(d => q.StartsWith(d, StringComparison.Ordinal))).ToList();
        Assert.True(unknown.Count == 0, "the dashboard queries series of no instrument this run can record: " + string.Join(", ", unknown));
        Assert.Contains("orchestrator_secrets_releases_total", queried);
        Assert.Contains("orchestrator_bridge_fee_bumps_total", queried);
        var missing = queried.Where(q => !series.Contains(q)).ToList();
        Assert.True(missing.Count == 0,
            "the dashboard queries series no code path recorded in a real run: " + string.Join(", ", missing) + "; recorded: " + string.Join(", ", series.Order()));
    }

    private static async Task<List<Metric>> RecordRunAsync()
    {
        // The simulated workers stop when the deal is done; a short heartbeat timeout then declares them lost.
        await using var host = await TelemetryHost.StartAsync("--Orchestrator:Scheduling:HeartbeatTimeout=00:00:01");
        await RunBridgeAsync(host.Grains);
        var summary = await new DemoRunner(host.Grains).RunAsync(
            new DemoSettings(Tasks: 6, Workers: 2, Trust: 1, Faulty: 0, Lost: 0, Tee: true, Timeout: TimeSpan.FromSeconds(90)), null, CancellationToken.None);
        Assert.True(summary.AllFinal, $"the deal did not finish: {summary.Completed} completed, {summary.Failed} failed of {summary.Tasks}");
        await Eventually.UntilAsync(
            "the stopped workers to be declared lost",
            async () => (await Task.WhenAll(summary.Workers.Select(w => host.Grains.Worker(w.Worker).GetViewAsync()))).All(v => v.State == WorkerState.Lost),
            TimeSpan.FromSeconds(30));

        host.Flush();
        lock (host.Metrics)
        {
            return [.. host.Metrics.Where(m => RecordedMeters.Contains(m.MeterName))];
        }
    }

    /// <summary>
    /// The bridge's code paths that record its instruments, driven directly as BridgeTraceTests does: a
    /// claim batch sent while the node mines nothing (so the sender replaces it with higher fees), then
    /// mined and confirmed; one pass of the deal listener; one read of the error queues.
    /// </summary>
    private static async Task RunBridgeAsync(IGrainFactory grains)
    {
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
            BumpAfter = TimeSpan.FromSeconds(1),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
            BatchSize = 1,
            BatchAge = TimeSpan.FromMilliseconds(100),
        };
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = anvil.Endpoint, RequestTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 });
        var store = new InMemoryBridgeStore();
        await using (var sender = new AccountSender(rpc, store, new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance))
        await using (var batcher = new TaskBatcher<TaskCompletedV1>(
            "claim", e => e.TaskId, e => e.DealId, e => e.Index, _ => HubContract.EncodeClaimBatch([]), _ => 1_000_000, sender, rpc, options, TimeProvider.System, NullLogger.Instance))
        {
            await anvil.Client().SendAsync("evm_setIntervalMining", [0]);
            var settling = batcher.EnqueueAsync(Completed(), CancellationToken.None);
            await Eventually.UntilAsync("the stuck transaction to be replaced with higher fees", () => store.Transactions.Any(t => t.Hashes.Count > 1), TimeSpan.FromSeconds(30));
            await anvil.Client().SendAsync("evm_setIntervalMining", [1]);
            Assert.Equal(SettleOutcome.Sent, await settling.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        var listener = new DealListener(rpc, store, grains, options, TimeProvider.System, NullLogger<DealListener>.Instance);
        await listener.PollOnceAsync(CancellationToken.None);

        var vhost = new RabbitVirtualHost();
        await vhost.InitializeAsync();
        try
        {
            var rabbit = Microsoft.Extensions.Options.Options.Create(new RabbitMqOptions { VirtualHost = vhost.Name, Port = RabbitBroker.Port });
            using var errorQueues = new ErrorQueueMonitor(rabbit, new BridgeQueues("dashboard"), TimeProvider.System, NullLogger<ErrorQueueMonitor>.Instance);
            Assert.All((await errorQueues.RefreshAsync(CancellationToken.None)).Values, depth => Assert.Equal(0, depth));
        }
        finally
        {
            await vhost.DisposeAsync();
        }
    }

    private static TaskCompletedV1 Completed()
        => new(Guid.NewGuid().ToString("n"), DateTimeOffset.UtcNow, Random32(), Random32(), 0, Random32(), Random32(), [], BigInteger.Zero, TeeFastPath: false);

    private static Hash32 Random32() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The series the Prometheus exporter makes of one exported metric (unit appended, _total for counters, _bucket for histograms).</summary>
    private static IEnumerable<string> SeriesOf(Metric metric)
    {
        var name = PrometheusNames.Base(metric.Name, metric.Unit);
        return metric.MetricType switch
        {
            MetricType.Histogram or MetricType.ExponentialHistogram => [name + "_bucket", name + "_sum", name + "_count"],
            MetricType.LongSum or MetricType.DoubleSum => [name + "_total"],
            _ => [name],
        };
    }

    private static List<string> DashboardMetricNames()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("helm", "orchestrator", "dashboards", "orchestrator.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricName().Matches(t.GetProperty("expr").GetString()!).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    [GeneratedRegex("orchestrator_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
