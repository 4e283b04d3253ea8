using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestrator.Host.Hosting;
using Orchestrator.Host.Persistence;
using Orchestrator.Integration.Tests.Infrastructure;

namespace Orchestrator.Integration.Tests;

/// <summary>The schema: applied from empty, idempotent, and guarded at silo start.</summary>
public sealed class SchemaMigrationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly string[] QueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "MembershipReadRowKey",
        "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "CleanupDefunctSiloEntriesKey",
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey",
        "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    [PostgresFact]
    public async Task Migrates_from_empty_and_a_second_run_changes_nothing()
    {
        var empty = new PostgresDatabase();
        await empty.InitializeAsync();
        try
        {
            await MigrateTwiceAsync(empty.ConnectionString);
        }
        finally
        {
            await empty.DisposeAsync();
        }
    }

    private static async Task MigrateTwiceAsync(string connectionString)
    {
        await using var dataSource = PostgresDataSource.Create(connectionString);
        var migrator = new SchemaMigrator(dataSource);
        Assert.Equal(0, await migrator.GetVersionAsync());

        var first = await migrator.MigrateAsync();
        Assert.Equal(0, first.VersionBefore);
        Assert.Equal(SchemaMigrations.Latest, first.VersionAfter);
        Assert.Equal(SchemaMigrations.All.Count, first.Applied.Count);
        var keys = await QueryListAsync(dataSource, "SELECT querykey FROM orleansquery ORDER BY 1");
        Assert.Equal(QueryKeys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));

        var before = await CatalogAsync(dataSource);
        var second = await migrator.MigrateAsync();
        Assert.Empty(second.Applied);
        Assert.Equal(SchemaMigrations.Latest, await migrator.GetVersionAsync());
        Assert.Equal(before, await CatalogAsync(dataSource));
    }

    [PostgresFact]
    public async Task Concurrent_migrations_apply_each_step_once()
    {
        await using var dataSource = PostgresDataSource.Create(database.ConnectionString);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => new SchemaMigrator(dataSource).MigrateAsync()));
        Assert.True(results.Sum(r => r.Applied.Count) <= SchemaMigrations.All.Count);
        var rows = await QueryListAsync(dataSource, $"SELECT version::text FROM {SchemaMigrator.VersionTable}");
        Assert.Equal(SchemaMigrations.All.Count, rows.Count);
    }

    [PostgresFact]
    public async Task Startup_check_refuses_an_old_schema_and_names_the_database()
    {
        var scratch = new PostgresDatabase();
        await scratch.InitializeAsync();
        try
        {
            await using var dataSource = PostgresDataSource.Create(scratch.ConnectionString);
            var check = new DatabaseStartupCheck(dataSource, new OrchestratorOptions { PostgresConnectionString = scratch.ConnectionString }, NullLogger<DatabaseStartupCheck>.Instance);
            var refused = await Assert.ThrowsAsync<DatabaseNotReadyException>(() => check.RunAsync(CancellationToken.None));
            Assert.Contains("127.0.0.1:5432", refused.Message, StringComparison.Ordinal);
            Assert.Contains("schema version 0", refused.Message, StringComparison.Ordinal);

            var migrating = new DatabaseStartupCheck(dataSource, new OrchestratorOptions { PostgresConnectionString = scratch.ConnectionString, MigrateOnStart = true }, NullLogger<DatabaseStartupCheck>.Instance);
            await migrating.RunAsync(CancellationToken.None);
            await check.RunAsync(CancellationToken.None); // now current: accepted
        }
        finally
        {
            await scratch.DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task Startup_check_refuses_an_unreachable_database_without_leaking_the_password()
    {
        const string unreachable = "Host=127.0.0.1;Port=1;Database=nowhere;Username=orchestrator;Password=s3cret-do-not-print;Timeout=2";
        await using var dataSource = PostgresDataSource.Create(unreachable);
        var check = new DatabaseStartupCheck(dataSource, new OrchestratorOptions { PostgresConnectionString = unreachable }, NullLogger<DatabaseStartupCheck>.Instance);
        var refused = await Assert.ThrowsAsync<DatabaseNotReadyException>(() => check.RunAsync(CancellationToken.None));
        Assert.Contains("127.0.0.1:1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("unreachable", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", refused.ToString(), StringComparison.Ordinal);
    }

    // Every object of the public schema with its definition, and the stored queries and versions:
    // a re-run that changed any of them (even re-created a function identically) shows up here.
    private static async Task<List<string>> CatalogAsync(NpgsqlDataSource dataSource) => await QueryListAsync(dataSource, $"""
        SELECT 'rel ' || c.relname || ' ' || c.relkind::text || ' ' || c.xmin::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
        UNION ALL SELECT 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND a.attnum > 0
        UNION ALL SELECT 'fn ' || p.proname || ' ' || p.xmin::text || ' ' || md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
        UNION ALL SELECT 'query ' || querykey || ' ' || md5(querytext) || ' ' || xmin::text FROM orleansquery
        UNION ALL SELECT 'version ' || version || ' ' || checksum || ' ' || applied_at::text FROM {SchemaMigrator.VersionTable}
        ORDER BY 1
        """);

    private static async Task<List<string>> QueryListAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
