using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;

namespace Orchestrator.Host.Persistence;

/// <summary>The database cannot serve this silo: unreachable, or its schema is older than the code.</summary>
public sealed class DatabaseNotReadyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs at the very first silo lifecycle stage, before membership, storage or reminders touch the
/// database: applies the schema when <c>MigrateOnStart</c> is set, otherwise refuses to start when the
/// database is unreachable or behind. A silo lifecycle participant rather than a hosted service, so it
/// also guards silos built outside <see cref="Hosting.EmbeddedCluster"/> (test clusters, custom hosts).
/// </summary>
public sealed partial class DatabaseStartupCheck(NpgsqlDataSource dataSource, Hosting.OrchestratorOptions options, ILogger<DatabaseStartupCheck> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(DatabaseStartupCheck), ServiceLifecycleStage.First, RunAsync);

    /// <summary>Migrates or checks; throws <see cref="DatabaseNotReadyException"/> with a message naming host and port.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var where = PostgresDataSource.Describe(options.PostgresConnectionString ?? string.Empty);
        var migrator = new SchemaMigrator(dataSource, logger);
        try
        {
            if (options.MigrateOnStart)
            {
                var result = await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
                LogMigrated(logger, where, result.VersionBefore, result.VersionAfter);
                return;
            }

            var version = await migrator.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            if (version < SchemaMigrations.Latest)
            {
                throw Fail(
                    $"the PostgreSQL database at {where} has schema version {version}, older than this build's {SchemaMigrations.Latest}: " +
                    "run `orchestrator db migrate --connection \"...\"` or set Orchestrator:MigrateOnStart=true",
                    null);
            }
        }
        catch (PostgresException ex)
        {
            throw Fail($"the PostgreSQL database at {where} refused the schema check ({ex.SqlState}: {ex.MessageText})", ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw Fail($"the PostgreSQL database at {where} is unreachable ({ex.Message}); the silo does not start without it", ex);
        }
    }

    private DatabaseNotReadyException Fail(string message, Exception? inner)
    {
        LogNotReady(logger, message);
        return new DatabaseNotReadyException(message, inner);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Where} migrated from schema version {Before} to {After}")]
    private static partial void LogMigrated(ILogger logger, string where, int before, int after);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Refusing to start: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string reason);
}
