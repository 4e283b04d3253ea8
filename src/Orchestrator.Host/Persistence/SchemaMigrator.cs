using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Orchestrator.Host.Persistence;

/// <summary>What a migration run did.</summary>
public sealed record MigrationResult(int VersionBefore, int VersionAfter, IReadOnlyList<string> Applied);

/// <summary>
/// Applies the embedded migrations to a PostgreSQL database: all pending steps in one transaction,
/// under a transaction-scoped advisory lock so silos starting together (or a silo and
/// <c>orchestrator db migrate</c>) never apply a step twice. Applied steps are recorded in
/// <c>orchestrator_schema_version</c>; running again with nothing pending changes nothing.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, ILogger? logger = null)
{
    /// <summary>The advisory lock key ("ORCH_DB" in ASCII): shared by every process that migrates this database.</summary>
    public const long AdvisoryLockKey = 0x4F5243485F4442;

    /// <summary>Our own version table.</summary>
    public const string VersionTable = "orchestrator_schema_version";

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>The schema version the database is at (0 when it has never been migrated).</summary>
    public async Task<int> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies every pending migration.</summary>
    public async Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);

        // Created only when absent (not CREATE IF NOT EXISTS) so a re-run touches no catalog row.
        if (!await VersionTableExistsAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(connection, transaction, $"""
                CREATE TABLE {VersionTable}
                (
                    version    integer     NOT NULL PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken).ConfigureAwait(false);
        }

        var before = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (before > SchemaMigrations.Latest)
        {
            // A newer build migrated this database; we must not run against a schema we do not know.
            throw new InvalidOperationException($"the database schema is at version {before}, newer than this build's {SchemaMigrations.Latest}");
        }

        var applied = new List<string>();
        foreach (var migration in SchemaMigrations.All.Where(m => m.Version > before))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand($"INSERT INTO {VersionTable} (version, name, checksum) VALUES (@v, @n, @c)", connection, transaction);
            record.Parameters.AddWithValue("v", migration.Version);
            record.Parameters.AddWithValue("n", migration.Name);
            record.Parameters.AddWithValue("c", migration.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add($"V{migration.Version}__{migration.Name}");
            LogApplied(_logger, migration.Version, migration.Name);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MigrationResult(before, Math.Max(before, SchemaMigrations.Latest), applied);
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (!await VersionTableExistsAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        await using var command = new NpgsqlCommand($"SELECT COALESCE(max(version), 0) FROM {VersionTable}", connection, transaction);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<bool> VersionTableExistsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regclass('{VersionTable}') IS NOT NULL", connection, transaction);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema migration V{Version}__{Name}")]
    private static partial void LogApplied(ILogger logger, int version, string name);
}
