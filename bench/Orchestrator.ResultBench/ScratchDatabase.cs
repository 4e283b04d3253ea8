using Npgsql;

namespace Orchestrator.ResultBench;

/// <summary>A throwaway database on the benchmark server, dropped at the end.</summary>
internal sealed class ScratchDatabase(string adminConnectionString, string name) : IAsyncDisposable
{
    public string ConnectionString => new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;

    public static async Task<ScratchDatabase> CreateAsync(string adminConnectionString)
    {
        var scratch = new ScratchDatabase(adminConnectionString, $"orch_rbench_{Guid.NewGuid():n}"[..24]);
        await scratch.AdminAsync($"CREATE DATABASE \"{scratch.Name}\"");
        return scratch;
    }

    private string Name => name;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
