using Npgsql;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>A fresh, empty database for one test class, dropped afterwards.</summary>
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
            return; // the facts are skipped
        }

        await using var connection = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", connection);
        await command.ExecuteNonQueryAsync();
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
            await using var connection = new NpgsqlConnection(PostgresServer.AdminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover scratch database does not fail the run.
        }
    }
}
