using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Simulation;
using Orchestrator.Host.Hosting;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>An in-process cluster of real silos on PostgreSQL clustering, storage and reminders.</summary>
public static class PgCluster
{
    /// <summary>Starts <paramref name="silos"/> silos (and a client) on the database; the ids let a second cluster resume the first one's state.</summary>
    /// <remarks><paramref name="grainStorage"/> picks the PostgreSQL grain storage provider (GroupCommit, the default, or AdoNet).</remarks>
    public static async Task<InProcessTestCluster> StartAsync(string connectionString, string clusterId, int silos, Action<IServiceCollection>? services = null, string grainStorage = "GroupCommit")
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ClusterId = clusterId;
        builder.Options.ServiceId = "orchestrator-it";
        // The in-memory membership table is an internal switch: turn it off so the silos and the client
        // really go through OrleansMembershipTable in PostgreSQL.
        typeof(InProcessTestClusterOptions).GetProperty("UseTestClusterMembership", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
            .SetValue(builder.Options, false);
        // Durable state is MAC'd under the master key: every silo of the cluster needs the same one, and so
        // does a cluster restarted on the same database (derived from the cluster id: a test key, never secret).
        var masterKey = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("test master key " + clusterId)));
        builder.ConfigureSilo((opts, silo) =>
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orchestrator:ClusterId"] = clusterId,
                ["Orchestrator:ServiceId"] = "orchestrator-it",
                ["Orchestrator:Storage"] = "Postgres",
                ["Orchestrator:PostgresGrainStorage"] = grainStorage,
                ["Orchestrator:Clustering"] = "Postgres",
                ["Orchestrator:Reminders"] = "Postgres",
                ["Orchestrator:PostgresConnectionString"] = connectionString,
                ["Orchestrator:MigrateOnStart"] = "true",
                ["Orchestrator:Secrets:MasterKeys:it"] = masterKey,
                ["Orchestrator:SiloPort"] = opts.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orchestrator:GatewayPort"] = opts.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orchestrator:AdvertisedIp"] = "127.0.0.1",
                ["Orchestrator:Scheduling:HeartbeatTimeout"] = "00:00:05",
            }).Build();
            silo.ConfigureOrchestratorSilo(configuration);
            silo.Services.Configure<Orchestrator.Grains.Secrets.SecretsOptions>(o => o.MasterKeys["it"] = masterKey); // the host's own configuration is not the one above
            silo.Services.AddEventLedger();
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloListeningEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, opts.SiloPort);
                o.GatewayListeningEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, opts.GatewayPort);
            });
            // Detect a killed silo in a few seconds rather than the production default (tens of seconds).
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            services?.Invoke(silo.Services);
        });
        builder.ConfigureClient(client =>
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>The idempotent event ledger of each running silo (grab them before a silo goes away).</summary>
    public static IEnumerable<EventLedger> Ledgers(InProcessTestCluster cluster)
        => cluster.Silos.Where(s => s.IsActive).Select(s => s.ServiceProvider.GetRequiredService<EventLedger>());
}
