using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>The local PostgreSQL the tests use: started through scripts/services/postgres.sh when it is not listening.</summary>
public static class PostgresServer
{
    /// <summary>The role the script creates (CREATEDB, so each test class can make its own database).</summary>
    public const string AdminConnectionString = "Host=127.0.0.1;Port=5432;Database=orchestrator_test;Username=orchestrator;Password=orchestrator;Timeout=5";

    private static readonly Lazy<string?> Unavailable = new(Prepare);

    /// <summary>Why PostgreSQL cannot be used here (binaries absent and not installable), or null when it is up.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>The connection string of a database on the test server.</summary>
    public static string ConnectionString(string database) => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    /// <summary>Runs a command as the server's owner (pg_ctlcluster stop/start for the outage test).</summary>
    public static void Control(string action) => Run("pg_ctlcluster", $"15 main {action}", TimeSpan.FromSeconds(60));

    /// <summary>True when something accepts TCP connections on 127.0.0.1:5432.</summary>
    public static bool IsListening()
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync("127.0.0.1", 5432).Wait(TimeSpan.FromSeconds(2)) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? Prepare()
    {
        if (IsListening() && CanLogIn())
        {
            return null;
        }

        var script = Path.Combine(RepositoryRoot(), "scripts", "services", "postgres.sh");
        var canInstall = File.Exists("/usr/bin/pg_ctlcluster") || File.Exists("/usr/bin/apt-get");
        if (!canInstall)
        {
            return "PostgreSQL is not installed and apt-get is not available to install it";
        }

        try
        {
            Run("bash", script, TimeSpan.FromMinutes(5));
        }
        catch (InvalidOperationException ex) when (!File.Exists("/usr/bin/pg_ctlcluster"))
        {
            return "PostgreSQL binaries are absent and could not be installed: " + ex.Message;
        }

        return null;
    }

    private static bool CanLogIn()
    {
        try
        {
            using var connection = new NpgsqlConnection(AdminConnectionString);
            connection.Open();
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private static void Run(string file, string arguments, TimeSpan timeout)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed: {stderr.Result}");
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs PostgreSQL: skipped, with the reason shown, only when it cannot be had.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>Checks (and if needed starts) the server at discovery.</summary>
    public PostgresFactAttribute()
    {
        if (PostgresServer.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}
