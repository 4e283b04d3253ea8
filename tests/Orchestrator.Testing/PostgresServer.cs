using Npgsql;

namespace Orchestrator.Testing;

/// <summary>
/// The local PostgreSQL 15 of scripts/services/postgres.sh (which installs, starts and prepares it; it
/// is idempotent). Asked once per test run: the first test that needs it starts it when it is down.
/// </summary>
public static class PostgresServer
{
    /// <summary>The role the script creates (CREATEDB, so each fixture can make its own database).</summary>
    public const string AdminConnectionString = "Host=127.0.0.1;Port=5432;Database=orchestrator_test;Username=orchestrator;Password=orchestrator;Timeout=5";

    private const int Port = 5432;
    private static readonly Lazy<string?> Unavailable = new(Prepare);

    /// <summary>Why PostgreSQL cannot be used here (not installed and not installable), or null when it is up.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>The connection string of a database on the test server.</summary>
    public static string ConnectionString(string database) => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    /// <summary>Stops or starts the server (pg_ctlcluster), as the outage tests do.</summary>
    public static void Control(string action) => Commands.Run("pg_ctlcluster", ["15", "main", action], TimeSpan.FromSeconds(60));

    /// <summary>True when something accepts connections on the server's port.</summary>
    public static bool IsListening() => LocalPorts.IsListening(Port);

    /// <summary>True when the test role can log in now.</summary>
    public static async Task<bool> AcceptsLoginsAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private static string? Prepare()
    {
        if (IsListening() && AcceptsLoginsAsync().GetAwaiter().GetResult())
        {
            return null;
        }

        if (!File.Exists("/usr/bin/pg_ctlcluster") && !File.Exists("/usr/bin/apt-get"))
        {
            return "PostgreSQL is not installed and apt-get is not available to install it (scripts/services/postgres.sh)";
        }

        try
        {
            Commands.RunServiceScript("postgres");
        }
        catch (InvalidOperationException ex) when (!File.Exists("/usr/bin/pg_ctlcluster"))
        {
            return "PostgreSQL is absent and could not be installed: " + ex.Message;
        }

        return null;
    }
}
