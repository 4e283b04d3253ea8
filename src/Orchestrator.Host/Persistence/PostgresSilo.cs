using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Orchestrator.Host.Hosting;
using Orleans.Configuration;
using Orchestrator.Host.Persistence.GroupCommit;
using Orleans.Storage;

namespace Orchestrator.Host.Persistence;

/// <summary>PostgreSQL clustering, grain storage and reminders through Orleans' ADO.NET providers.</summary>
public static class PostgresSilo
{
    /// <summary>The ADO.NET invariant Orleans maps to Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>Configures the parts of the silo that the options put in PostgreSQL.</summary>
    public static void Configure(ISiloBuilder silo, Hosting.OrchestratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = options.PostgresConnectionString
            ?? throw new InvalidOperationException("Orchestrator:PostgresConnectionString is required when a part of the silo uses PostgreSQL");

        // One data source (one bounded pool) per silo, shared by every provider below.
        silo.Services.TryAddSingleton(_ => PostgresDataSource.Create(connectionString));
        silo.Services.AddSingleton(sp => new DatabaseStartupCheck(
            sp.GetRequiredService<NpgsqlDataSource>(), options, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<DatabaseStartupCheck>>()));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DatabaseStartupCheck>());

        if (options.Clustering == Hosting.ClusteringKind.Postgres)
        {
            silo.UseAdoNetClustering(o => o.Configure<NpgsqlDataSource>((c, ds) =>
            {
                c.Invariant = Invariant;
                c.DataSource = ds;
            }));
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloPort = options.SiloPort;
                o.GatewayPort = options.GatewayPort;
                // Other silos reach us at this address: an explicit AdvertisedIp wins (SiloConfiguration applies it after this).
                o.AdvertisedIPAddress = DefaultAdvertisedAddress();
                o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, options.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, options.GatewayPort);
            });
        }

        if (options.Storage == Hosting.StorageKind.Postgres && options.PostgresGrainStorage == Hosting.PostgresGrainStorageKind.GroupCommit)
        {
            silo.AddGroupCommitGrainStorage(Grains.Infrastructure.StorageNames.Default);
        }
        else if (options.Storage == Hosting.StorageKind.Postgres)
        {
            silo.AddAdoNetGrainStorage(Grains.Infrastructure.StorageNames.Default, o => o.Configure<NpgsqlDataSource, IServiceProvider>((s, ds, sp) =>
            {
                s.Invariant = Invariant;
                s.DataSource = ds;
                // Explicitly Orleans' own binary serializer: the state types are [GenerateSerializer] with
                // stable [Id]s, which is version tolerant (fields added or removed across silo versions).
                s.GrainStorageSerializer = new StateSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>());
            }));
        }

        if ((options.Reminders ?? options.Storage) == Hosting.StorageKind.Postgres)
        {
            silo.UseAdoNetReminderService(o => o.Configure<NpgsqlDataSource>((r, ds) =>
            {
                r.Invariant = Invariant;
                r.DataSource = ds;
            }));
        }
    }

    /// <summary>The first non-loopback IPv4 address of this machine, loopback when there is none.</summary>
    public static IPAddress DefaultAdvertisedAddress()
    {
        try
        {
            return Dns.GetHostAddresses(Dns.GetHostName())
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) ?? IPAddress.Loopback;
        }
        catch (SocketException)
        {
            return IPAddress.Loopback;
        }
    }
}
