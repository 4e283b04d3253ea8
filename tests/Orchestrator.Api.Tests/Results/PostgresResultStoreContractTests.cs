using System.Security.Cryptography;
using Npgsql;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.Postgres;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Persistence;

namespace Orchestrator.Api.Tests.Results;

/// <summary>The store contract on the local PostgreSQL: a fresh database per test, migrated by the project's migrator.</summary>
public sealed class PostgresResultStoreContractTests : ResultStoreContract
{
    private readonly PostgresDatabase _database = new();
    private readonly List<NpgsqlDataSource> _dataSources = [];

    /// <inheritdoc />
    public override async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await new SchemaMigrator(DataSource()).MigrateAsync();
    }

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }

        await _database.DisposeAsync();
    }

    [ResultStoreFact]
    public async Task A_writer_whose_connection_dies_mid_upload_leaves_no_row_and_no_chunk()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        var taskId = new Hash32(RandomNumberGenerator.GetBytes(32));
        var expected = new StoredResult(taskId, Address.Zero, bytes.Length, new Hash32(SHA256.HashData(bytes)), "", "");

        // As when the writing silo dies: the server drops its session, and with it the open transaction.
        await Assert.ThrowsAnyAsync<Exception>(() => store.AddAsync(expected, async (stream, ct) =>
        {
            await stream.WriteAsync(bytes.AsMemory(0, 3 * 1024 * 1024), ct);
            Assert.Equal(1, await TerminateWritersAsync());
            await stream.WriteAsync(bytes.AsMemory(3 * 1024 * 1024), ct);
        }, (_, _) => Task.CompletedTask, CancellationToken.None));

        Assert.Equal(0, await StoredObjectCountAsync());
        Assert.Null(await (await CreateStoreAsync()).FindAsync(taskId, CancellationToken.None));
        Assert.True((await (await CreateStoreAsync()).AddAsync(expected, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), (_, _) => Task.CompletedTask, CancellationToken.None)).Created);
    }

    /// <inheritdoc />
    protected override Task<IResultStore> CreateStoreAsync(bool sameSpace)
        => Task.FromResult<IResultStore>(new PostgresResultStore(DataSource(), Clock)); // each its own pool, as two silos

    /// <inheritdoc />
    protected override async Task<int> StoredObjectCountAsync()
    {
        await using var command = DataSource().CreateCommand("SELECT (SELECT count(*) FROM result_objects) + (SELECT count(*) FROM result_chunks)");
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Terminates the sessions of this database that hold an open transaction (the writer's); returns how many.</summary>
    private async Task<int> TerminateWritersAsync()
    {
        await using var connection = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND state LIKE 'idle in transaction%'", connection);
        command.Parameters.AddWithValue("db", _database.Name);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    private NpgsqlDataSource DataSource()
    {
        var dataSource = PostgresDataSource.Create(_database.ConnectionString);
        _dataSources.Add(dataSource);
        return dataSource;
    }
}
