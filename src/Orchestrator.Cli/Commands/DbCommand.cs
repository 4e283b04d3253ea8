using System.CommandLine;
using Npgsql;
using Orchestrator.Host.Persistence;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator db migrate --connection "..."`: applies the PostgreSQL schema (idempotent).</summary>
public static class DbCommand
{
    /// <summary>The `db` command and its `migrate` subcommand.</summary>
    public static Command Create()
    {
        var connection = new Option<string>("--connection")
        {
            Description = "PostgreSQL connection string, e.g. \"Host=127.0.0.1;Database=orchestrator;Username=orchestrator;Password=...\" (defaults to Orchestrator__PostgresConnectionString)",
        };
        var migrate = new Command("migrate", "Apply every pending schema migration; running it again changes nothing.") { connection };
        migrate.SetAction(async (parse, cancellationToken) =>
        {
            var connectionString = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("Orchestrator__PostgresConnectionString");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                await Console.Error.WriteLineAsync("--connection is required (or set Orchestrator__PostgresConnectionString)");
                return 2;
            }

            var where = PostgresDataSource.Describe(connectionString);
            try
            {
                await using var dataSource = PostgresDataSource.Create(connectionString);
                var result = await new SchemaMigrator(dataSource).MigrateAsync(cancellationToken);
                Console.WriteLine(result.Applied.Count == 0
                    ? $"{where}: schema already at version {result.VersionAfter}, nothing to apply"
                    : $"{where}: schema migrated from version {result.VersionBefore} to {result.VersionAfter} ({string.Join(", ", result.Applied)})");
                return 0;
            }
            catch (NpgsqlException ex)
            {
                // The message names host, port and database, never the password.
                await Console.Error.WriteLineAsync($"{where}: migration failed: {ex.Message}");
                return 1;
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"{where}: {ex.Message}");
                return 1;
            }
        });

        return new Command("db", "Database administration.") { migrate };
    }
}
