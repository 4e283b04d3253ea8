using Npgsql;

namespace Orchestrator.Testing;

/// <summary>A fresh, empty database on the local server for one fixture, dropped afterwards.</summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    /// <summary>Its name.</summary>
    public string Name { get; } = "orch_it_" + Guid.NewGuid().ToString("n")[..12];

    /// <summary>Its connection string.</summary>
    public string ConnectionString => PostgresServer.ConnectionString(Name);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (PostgresServer.UnavailableReason is not null)
        {
            return; // the facts that need it are skipped with the reason
        }

        await ExecuteAsync($"CREATE DATABASE \"{Name}\"").ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (PostgresServer.UnavailableReason is not null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)").ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover scratch database does not fail the run.
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
