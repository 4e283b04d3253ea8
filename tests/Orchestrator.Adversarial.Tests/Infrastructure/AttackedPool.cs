using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Adversarial.Tests.Infrastructure;

/// <summary>
/// A pool under attack: one real silo with grain state in a fresh PostgreSQL database (group-commit
/// storage, master key configured, so trust states carry their MAC) and the gRPC API on loopback.
/// </summary>
public sealed class AttackedPool : IAsyncDisposable
{
    public const string Token = "adversarial-owner-token-0123456789";

    private WebApplication _app = null!;

    private AttackedPool(Address pool) => PoolAddress = pool;

    public Address PoolAddress { get; }

    private readonly Testing.PostgresDatabase _database = new();

    public string Database => _database.Name;

    public string ConnectionString => _database.ConnectionString;

    public string ResultDirectory { get; } = Path.Combine(Path.GetTempPath(), "orch-adv-results-" + Guid.NewGuid().ToString("n"));

    public int GrpcPort { get; } = FreePort();

    public GrpcChannel Channel { get; private set; } = null!;

    public WorkerSession.WorkerSessionClient Workers { get; private set; } = null!;

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    public IServiceProvider Services => _app.Services;

    public Metadata OwnerHeaders { get; } = new() { { "authorization", "Bearer " + Token } };

    public static async Task<AttackedPool> StartAsync(Address pool, Dictionary<string, string?>? extra = null)
    {
        var attacked = new AttackedPool(pool);
        if (Testing.PostgresServer.UnavailableReason is { } why)
        {
            throw new InvalidOperationException($"the adversarial suite attacks a pool on PostgreSQL, which is unavailable: {why}");
        }

        await attacked._database.InitializeAsync();

        var settings = new Dictionary<string, string?>
        {
            ["Orchestrator:ClusterId"] = "adv-" + attacked.Database[^12..],
            ["Orchestrator:ServiceId"] = "adv-" + attacked.Database[^12..],
            ["Orchestrator:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:Storage"] = "Postgres",
            ["Orchestrator:Reminders"] = "Memory",
            ["Orchestrator:PostgresConnectionString"] = attacked.ConnectionString,
            ["Orchestrator:MigrateOnStart"] = "true",
            ["Orchestrator:Secrets:MasterKeys:k1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator:Api:Enabled"] = "true",
            ["Orchestrator:Api:Url"] = $"http://127.0.0.1:{attacked.GrpcPort}",
            ["Orchestrator:Api:AdminToken"] = Token,
            ["Orchestrator:Api:ResultDirectory"] = attacked.ResultDirectory,
            ["Orchestrator:Api:MaxMessageBytes"] = "65536",
            ["Orchestrator:Api:ChallengeTimeout"] = "00:00:05",
            ["Orchestrator:Api:PoolAddress"] = pool.ToLowerHex(),
            ["Orchestrator:Api:ChainId"] = "31337",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        attacked._app = SiloWebHost.Build(EmbeddedCluster.CreateWebBuilder([], configure: b => b.Configuration.AddInMemoryCollection(settings)));
        await attacked._app.StartAsync();
        attacked.Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{attacked.GrpcPort}");
        attacked.Workers = new WorkerSession.WorkerSessionClient(attacked.Channel);
        return attacked;
    }

    /// <summary>Rows of grain state in the pool's database.</summary>
    public async Task<long> CountStateRowsAsync(string? stateName = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM orch_grain_state WHERE payload IS NOT NULL AND ($1::text IS NULL OR state_name = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)stateName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Whether any grain whose id mentions <paramref name="key"/> (hex, any case, without 0x) is active.</summary>
    public async Task<bool> IsAnyGrainActiveAsync(string key)
    {
        var needle = key.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? key[2..] : key;
        var statistics = await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return statistics.Any(s => s.GrainId.ToString().Contains(needle, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Deactivates every idle grain, so the next call loads its state from the database again.</summary>
    public Task CollectIdleGrainsAsync() => Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

    /// <summary>
    /// Result objects and chunks in the pool's result store (PostgreSQL, as grain state is there), plus any
    /// file under the result directory (which this pool must not use).
    /// </summary>
    public async Task<long> StoredResultObjectsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM result_objects) + (SELECT count(*) FROM result_chunks)", connection);
        var rows = (long)(await command.ExecuteScalarAsync())!;
        return rows + (Directory.Exists(ResultDirectory) ? Directory.EnumerateFiles(ResultDirectory, "*", SearchOption.AllDirectories).Count() : 0);
    }

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await _database.DisposeAsync();

        if (Directory.Exists(ResultDirectory))
        {
            Directory.Delete(ResultDirectory, recursive: true);
        }
    }

    public static int FreePort() => Testing.LocalPorts.Free();
}

/// <summary>Two pools (A and B, different pool addresses), each on its own database, shared by the suite.</summary>
public sealed class TwoPools : IAsyncLifetime
{
    public static readonly Address PoolA = Address.Parse("0x" + new string('a', 40));
    public static readonly Address PoolB = Address.Parse("0x" + new string('b', 40));

    public AttackedPool A { get; private set; } = null!;

    public AttackedPool B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = await AttackedPool.StartAsync(PoolA);
        B = await AttackedPool.StartAsync(PoolB);
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

[CollectionDefinition("pools")]
public sealed class PoolsCollection : ICollectionFixture<TwoPools>;
