using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orchestrator.Bridge.Bus;
using Orchestrator.Bridge.Sending;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>What every bridge instance of one deployment shares.</summary>
/// <param name="VirtualHost">The RabbitMQ virtual host.</param>
/// <param name="ConnectionString">The bridge database (migrated).</param>
/// <param name="AnvilPort">The node's port on loopback.</param>
/// <param name="Hub">The hub.</param>
/// <param name="BatchSize">Tasks per finalization.</param>
/// <param name="LeaseDuration">The sender's lease.</param>
/// <param name="Relayed">Whether each instance reaches the services through its own relays (so it can be killed; a bench measures without them).</param>
/// <param name="MaxInFlightBatches">Batches in flight per instance.</param>
public sealed record BridgeDeployment(string VirtualHost, string ConnectionString, int AnvilPort, Domain.Crypto.Address Hub, int BatchSize, TimeSpan LeaseDuration, bool Relayed = true, int MaxInFlightBatches = 4);

/// <summary>
/// One chain-enabled bridge instance as a silo runs it (the RabbitMQ bus with the bridge's consumers,
/// the sender with its lease, its own PostgreSQL pool), in this process. It reaches RabbitMQ, PostgreSQL
/// and the node only through its own <see cref="LoopbackRelay"/>s, so <see cref="Kill"/> cuts it off as
/// a killed process would be: connections reset, unacknowledged messages requeued by the broker, the
/// lease left to run out (never released).
/// </summary>
public sealed class BridgeInstance : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly LoopbackRelay[] _relays;

    private BridgeInstance(string name, IHost host, LoopbackRelay[] relays)
    {
        Name = name;
        _host = host;
        _relays = relays;
    }

    /// <summary>A name for reports.</summary>
    public string Name { get; }

    /// <summary>Its sender (whose lease says whether it leads).</summary>
    public AccountSender Sender => _host.Services.GetRequiredService<AccountSender>();

    /// <summary>True while it consumes the bridge's queues (only the leader does).</summary>
    public bool Consuming => _host.Services.GetRequiredService<LeaderEndpoints>().Consuming;

    /// <summary>Its bridge.</summary>
    public ChainBridge Bridge => _host.Services.GetRequiredService<ChainBridge>();

    /// <summary>Its name in the lease row.</summary>
    public string Holder => Sender.Leadership!.Holder;

    /// <summary>True once <see cref="Kill"/> cut it off.</summary>
    public bool Killed { get; private set; }

    /// <summary>Starts an instance of <paramref name="deployment"/>.</summary>
    public static async Task<BridgeInstance> StartAsync(string name, BridgeDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var database = new NpgsqlConnectionStringBuilder(deployment.ConnectionString);
        LoopbackRelay[] relays = deployment.Relayed ? [new(RabbitBroker.Port), new(database.Port), new(deployment.AnvilPort)] : [];
        var (rabbitPort, anvilPort) = deployment.Relayed ? (relays[0].Port, relays[2].Port) : (RabbitBroker.Port, deployment.AnvilPort);
        database.Port = deployment.Relayed ? relays[1].Port : database.Port;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:RabbitMq:Port"] = rabbitPort.ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:RabbitMq:VirtualHost"] = deployment.VirtualHost,
            ["Orchestrator:RabbitMq:RetryInterval"] = "00:00:00.100",
            ["Orchestrator:RabbitMq:RetryMaxInterval"] = "00:00:00.500",
            ["Orchestrator:RabbitMq:RedeliveryIntervals:0"] = "00:00:01",
            ["Orchestrator:Chain:Enabled"] = "true",
            ["Orchestrator:Chain:ListenerEnabled"] = "false",
            ["Orchestrator:Chain:RpcUrl"] = $"http://127.0.0.1:{anvilPort}/",
            ["Orchestrator:Chain:HubAddress"] = deployment.Hub.ToChecksumString(),
            ["Orchestrator:Chain:PoolAddress"] = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            ["Orchestrator:Chain:SchedulerKey"] = Domain.Crypto.Hex.Encode(Accounts.SchedulerKey),
            ["Orchestrator:Chain:PostgresConnectionString"] = database.ConnectionString,
            ["Orchestrator:Chain:LeaseDuration"] = deployment.LeaseDuration.ToString("c", CultureInfo.InvariantCulture),
            ["Orchestrator:Chain:Confirmations"] = "1",
            ["Orchestrator:Chain:FinalityDepth"] = "1",
            ["Orchestrator:Chain:PollInterval"] = "00:00:00.020",
            ["Orchestrator:Chain:RetryDelay"] = "00:00:00.100",
            ["Orchestrator:Chain:MaxRetryDelay"] = "00:00:01",
            ["Orchestrator:Chain:BatchSize"] = deployment.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Chain:BatchAge"] = "00:00:00.200",
            ["Orchestrator:Chain:MaxInFlightBatches"] = deployment.MaxInFlightBatches.ToString(CultureInfo.InvariantCulture),
        });
        builder.Services.AddRabbitMqBus(builder.Configuration);
        builder.Services.AddChainBridge(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return new BridgeInstance(name, host, relays);
    }

    /// <summary>Cuts the instance off from the broker, the database and the node at once (a kill -9 as the others see it).</summary>
    public void Kill()
    {
        Killed = true;
        foreach (var relay in _relays)
        {
            relay.Cut();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Kill();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _host.StopAsync(limit.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A cut-off instance cannot stop cleanly (nothing to release, nothing to acknowledge).
            }
        }

        _host.Dispose();
        foreach (var relay in _relays)
        {
            await relay.DisposeAsync();
        }
    }
}
