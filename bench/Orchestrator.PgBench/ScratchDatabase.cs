using Npgsql;

namespace Orchestrator.PgBench;

/// <summary>A throwaway database on the benchmark server, dropped at the end.</summary>
internal sealed class ScratchDatabase(string adminConnectionString, string name) : IAsyncDisposable
{
    public string Name => name;

    public string ConnectionString => new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;

    public static async Task<ScratchDatabase> CreateAsync(string adminConnectionString, string prefix)
    {
        var scratch = new ScratchDatabase(adminConnectionString, $"{prefix}_{Guid.NewGuid():n}"[..24]);
        await scratch.AdminAsync($"CREATE DATABASE \"{scratch.Name}\"");
        return scratch;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    /// <summary>Row changes (inserts, updates, deletes) and commits so far in this database, and the server's WAL position.</summary>
    public async Task<DatabaseCounters> CountersAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        // Statistics reach the shared view shortly after each transaction; give them a moment.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT COALESCE(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables),
                   (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
                   pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
                   (SELECT COALESCE(sum(n_tup_upd), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'orch_grain_state'),
                   (SELECT COALESCE(sum(n_tup_hot_upd), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'orch_grain_state')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DatabaseCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A database's write counters at one instant (WAL is the whole server's; updates of the group-commit state table, and how many stayed in their page).</summary>
internal readonly record struct DatabaseCounters(long TupleWrites, long Commits, long WalBytes, long StateUpdates, long HotStateUpdates);
