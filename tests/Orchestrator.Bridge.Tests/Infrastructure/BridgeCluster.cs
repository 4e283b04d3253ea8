using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Bus;
using Orchestrator.Bridge.Listening;
using Orchestrator.Bridge.Sending;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Host.Hosting;
using Orchestrator.Host.Persistence;
using Orchestrator.Simulation;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>
/// Everything real for one test class: a fresh PostgreSQL database (the bridge's tables, migrated by
/// the project's migrator), an Anvil node with the hub deployed and the pool registered, a fresh
/// RabbitMQ virtual host, and a silo configured as a user would (Orchestrator:Bus = RabbitMq,
/// Orchestrator:Chain:Enabled) with in-process simulated workers.
/// </summary>
public class BridgeCluster : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private readonly RabbitVirtualHost _virtualHost = new();
    private readonly List<(SimulatedWorker Worker, Task Run)> _workers = [];
    private CancellationTokenSource _workersStop = new();
    private IHost? _host;

    /// <summary>The node.</summary>
    public AnvilNode Anvil { get; } = new() { BlockTime = 1, KeepState = true };

    /// <summary>The deployed hub.</summary>
    public HubDeployment Hub { get; private set; } = null!;

    /// <summary>This fixture's RabbitMQ virtual host.</summary>
    public string VirtualHost => _virtualHost.Name;

    /// <summary>The bridge's queue names.</summary>
    public BridgeQueues Queues { get; } = new("orchestrator");

    /// <summary>The bridge database.</summary>
    public string ConnectionString => _database.ConnectionString;

    /// <summary>The silo's grains.</summary>
    public IGrainFactory Grains => _host!.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's services.</summary>
    public IServiceProvider SiloServices => _host!.Services;

    /// <summary>The protocol clock the silo runs on (null: real time).</summary>
    protected virtual TimeProvider? ProtocolTime => null;

    /// <summary>Whether the silo serves the gRPC API (and its JSON routes) on <see cref="ApiUrl"/>.</summary>
    protected virtual bool ServesApi => false;

    /// <summary>The API's gRPC endpoint when <see cref="ServesApi"/>.</summary>
    public Uri ApiUrl { get; } = new($"http://127.0.0.1:{LocalPorts.Free()}");

    /// <summary>The pool owner's API token when <see cref="ServesApi"/>.</summary>
    public const string AdminToken = "bridge-cluster-owner-token-0123456";

    /// <summary>Tasks per finalization batch.</summary>
    protected virtual int BatchSize => 5;

    /// <summary>The pool's public results API the silo's finalizations name on chain.</summary>
    public const string PublicResultsUrl = "https://pool.example.org/results";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (ChainServices.UnavailableReason is not null)
        {
            return;
        }

        await _virtualHost.InitializeAsync();
        await _database.InitializeAsync();
        await using (var dataSource = NpgsqlDataSource.Create(ConnectionString))
        {
            await new SchemaMigrator(dataSource).MigrateAsync();
        }

        await Anvil.StartAsync();
        Hub = await HubDeployment.DeployAsync(Anvil.Client());
        await StartSiloAsync();
    }

    /// <summary>Starts the silo (again, after <see cref="StopSiloAsync"/>: the bridge recovers from its tables).</summary>
    public async Task StartSiloAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Orchestrator:SiloPort"] = LocalPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:GatewayPort"] = LocalPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Bus"] = "RabbitMq",
            ["Orchestrator:RabbitMq:VirtualHost"] = VirtualHost,
            ["Orchestrator:RabbitMq:RetryLimit"] = "2",
            ["Orchestrator:RabbitMq:RetryInterval"] = "00:00:00.100",
            ["Orchestrator:RabbitMq:RetryMaxInterval"] = "00:00:00.500",
            ["Orchestrator:RabbitMq:RedeliveryIntervals:0"] = "00:00:01",
            ["Orchestrator:RabbitMq:ErrorQueuePollInterval"] = "00:00:00.500",
            ["Orchestrator:Chain:Enabled"] = "true",
            ["Orchestrator:Chain:RpcUrl"] = Anvil.Endpoint.ToString(),
            ["Orchestrator:Chain:HubAddress"] = Hub.Hub.ToChecksumString(),
            ["Orchestrator:Chain:PoolAddress"] = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            ["Orchestrator:Chain:SchedulerKey"] = Hex.Encode(Accounts.SchedulerKey),
            ["Orchestrator:Chain:BatchSize"] = BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Chain:BatchAge"] = "00:00:00.500",
            ["Orchestrator:Chain:Confirmations"] = "2",
            ["Orchestrator:Chain:FinalityDepth"] = "2",
            ["Orchestrator:Chain:ListenerConfirmations"] = "1",
            ["Orchestrator:Chain:PollInterval"] = "00:00:00.200",
            ["Orchestrator:Chain:RetryDelay"] = "00:00:00.200",
            ["Orchestrator:Chain:MaxRetryDelay"] = "00:00:02",
            ["Orchestrator:Chain:PostgresConnectionString"] = ConnectionString,
            ["Orchestrator:Results:PublicBaseUrl"] = PublicResultsUrl,
            ["Orchestrator:Scheduling:HeartbeatTimeout"] = "00:00:30",
        };
        if (ServesApi)
        {
            settings["Orchestrator:Api:Enabled"] = "true";
            settings["Orchestrator:Api:Url"] = ApiUrl.ToString().TrimEnd('/');
            settings["Orchestrator:Api:HttpUrl"] = $"http://127.0.0.1:{LocalPorts.Free()}";
            settings["Orchestrator:Api:AdminToken"] = AdminToken;
        }

        void Configure(IHostApplicationBuilder b)
        {
            b.Configuration.AddInMemoryCollection(settings);
            if (ProtocolTime is { } time)
            {
                b.Services.AddSingleton(new OrchestratorClock(time));
            }

            b.Logging.AddFilter("MassTransit", LogLevel.Warning);
        }

        _host = ServesApi
            ? SiloWebHost.Build(EmbeddedCluster.CreateWebBuilder([], null, Configure))
            : EmbeddedCluster.CreateBuilder([], null, Configure).Build();
        await _host.StartAsync();
    }

    /// <summary>Stops the silo and its bridge (the workers keep retrying until it is back).</summary>
    public async Task StopSiloAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            await host.StopAsync();
            host.Dispose();
        }
    }

    /// <summary>Authorizes <paramref name="count"/> honest simulated workers, funds their stakes on chain and starts them.</summary>
    public async Task<IReadOnlyList<SimulatedWorker>> StartWorkersAsync(int count, System.Numerics.BigInteger stakeDeposit)
    {
        var workers = Enumerable.Range(0, count).Select(_ => new SimulatedWorker(Grains, WorkerBehavior.Honest)).ToList();
        await Grains.Pool().AuthorizeAsync(workers.Select(w => w.Address).ToList());
        await Hub.DepositForAsync(workers.Select(w => w.Address), stakeDeposit);
        var stop = _workersStop.Token;
        foreach (var worker in workers)
        {
            _workers.Add((worker, Task.Run(() => worker.RunAsync(stop), CancellationToken.None)));
        }

        return workers;
    }

    /// <summary>Stops the simulated workers.</summary>
    public async Task StopWorkersAsync()
    {
        await _workersStop.CancelAsync();
        await Task.WhenAll(_workers.Select(w => w.Run.ContinueWith(_ => { }, TaskScheduler.Default)));
        _workers.Clear();
        _workersStop.Dispose();
        _workersStop = new CancellationTokenSource();
    }

    /// <summary>The silo's error-queue monitor (its depth readings feed the metric).</summary>
    public ErrorQueueMonitor ErrorQueues => SiloServices.GetRequiredService<ErrorQueueMonitor>();

    /// <summary>The silo's listener.</summary>
    public DealListener Listener => SiloServices.GetRequiredService<DealListener>();

    /// <summary>The silo's bridge.</summary>
    public ChainBridge Bridge => SiloServices.GetRequiredService<ChainBridge>();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (ChainServices.UnavailableReason is not null)
        {
            return;
        }

        await StopWorkersAsync();
        await StopSiloAsync();
        await Anvil.DisposeAsync();
        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }
}
