using Npgsql;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.Postgres;
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

    /// <inheritdoc />
    protected override Task<IResultStore> CreateStoreAsync(bool sameSpace)
        => Task.FromResult<IResultStore>(new PostgresResultStore(DataSource(), Clock)); // each its own pool, as two silos

    /// <inheritdoc />
    protected override async Task<int> StoredObjectCountAsync()
    {
        await using var command = DataSource().CreateCommand("SELECT (SELECT count(*) FROM result_objects) + (SELECT count(*) FROM result_chunks)");
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    private NpgsqlDataSource DataSource()
    {
        var dataSource = PostgresDataSource.Create(_database.ConnectionString);
        _dataSources.Add(dataSource);
        return dataSource;
    }
}
