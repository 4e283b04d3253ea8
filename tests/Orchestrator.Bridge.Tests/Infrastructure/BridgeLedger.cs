using Npgsql;
using Orchestrator.Bridge.Storage;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>One row of bridge_transactions as the checks need it.</summary>
public sealed record LedgerRow(long Nonce, int Attempt, TrackedStatus Status, int Hashes, string? MinedHash, IReadOnlyList<string> TaskIds);

/// <summary>
/// Reads the bridge's rows (every attempt of every nonce) from the shared database and sums up what
/// several instances did: transactions replaced (a second hash for a nonce: a fee bump) and nonce
/// errors (an attempt dropped because the nonce was refused or taken, or a nonce given a second attempt).
/// </summary>
public static class BridgeLedger
{
    /// <summary>Every row, by nonce and attempt.</summary>
    public static async Task<IReadOnlyList<LedgerRow>> ReadAsync(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT nonce, attempt, status, cardinality(hashes), mined_hash, task_ids FROM bridge_transactions ORDER BY nonce, attempt");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<LedgerRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new LedgerRow(
                reader.GetInt64(0),
                reader.GetInt32(1),
                (TrackedStatus)reader.GetInt16(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetFieldValue<string[]>(5)));
        }

        return rows;
    }

    /// <summary>Tasks carried by confirmed transactions (one small query, for polling).</summary>
    public static async Task<int> ConfirmedTaskCountAsync(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT coalesce(sum(cardinality(task_ids)), 0)::int FROM bridge_transactions WHERE status = 1");
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Rows whose nonce needed a replacement (same nonce, higher fees).</summary>
    public static int Replaced(IReadOnlyList<LedgerRow> rows) => rows.Count(r => r.Hashes > 1);

    /// <summary>Attempts dropped (nonce refused or taken) plus nonces written more than once.</summary>
    public static int NonceErrors(IReadOnlyList<LedgerRow> rows) => rows.Count(r => r.Status == TrackedStatus.Dropped) + rows.Count(r => r.Attempt > 0);

    /// <summary>The current holder and token of a lease, with its expiry on the database's clock.</summary>
    public static async Task<(string Holder, long Token, DateTimeOffset ExpiresAt)?> LeaseAsync(NpgsqlDataSource dataSource, string lease)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT holder, token, expires_at FROM bridge_leases WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = lease });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)) : null;
    }
}
