using System.Numerics;
using Npgsql;
using NpgsqlTypes;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Chain.Reorgs;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>
/// The bridge's tables in PostgreSQL (migrations V5__bridge.sql, V7__bridge_attempts.sql):
/// <c>bridge_transactions</c> and <c>bridge_cursors</c>. A transaction's row is written before its
/// first broadcast (write-ahead), so a bridge killed right after sending still knows the nonce and
/// the tasks at its next start. Rows are inserted, never replaced: one per attempt at a nonce.
/// <para>
/// A fenced view (<see cref="FencedBy"/>) makes each write one statement that first locks the
/// writer's lease row <c>FOR SHARE</c> with its token and an unexpired lease: a successor's takeover
/// (an UPDATE of that row) waits for a write in progress and a write after the takeover finds no row,
/// so the successor's recovery reads see every row its predecessor wrote, and nothing it writes later.
/// </para>
/// </summary>
public sealed class PostgresBridgeStore(NpgsqlDataSource dataSource, ILeaseFence? fence = null) : IBridgeStore
{

    private const string Columns = "chain_id, account, nonce, kind, to_address, data, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, hashes, raw, task_ids, status, sent_at, block_number, mined_hash, gas_used, attempt";

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrackedTransaction>> LoadPendingAsync(long chainId, Address account, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM bridge_transactions WHERE chain_id = $1 AND account = $2 AND status = 0 ORDER BY nonce");
        command.Parameters.Add(new NpgsqlParameter { Value = chainId });
        command.Parameters.Add(new NpgsqlParameter { Value = account.ToLowerHex() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<TrackedTransaction>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new TrackedTransaction
            {
                ChainId = reader.GetInt64(0),
                Account = Address.Parse(reader.GetString(1)),
                Nonce = reader.GetInt64(2),
                Kind = reader.GetString(3),
                To = Address.Parse(reader.GetString(4)),
                Data = (byte[])reader[5],
                GasLimit = BigInteger.Parse(reader.GetString(6), System.Globalization.CultureInfo.InvariantCulture),
                MaxFeePerGas = BigInteger.Parse(reader.GetString(7), System.Globalization.CultureInfo.InvariantCulture),
                MaxPriorityFeePerGas = BigInteger.Parse(reader.GetString(8), System.Globalization.CultureInfo.InvariantCulture),
                Hashes = ((string[])reader[9]).Select(Hash32.Parse).ToList(),
                Raw = (byte[])reader[10],
                TaskIds = ((string[])reader[11]).Select(Hash32.Parse).ToList(),
                Status = (TrackedStatus)reader.GetInt16(12),
                SentAt = await reader.GetFieldValueAsync<DateTimeOffset>(13, cancellationToken).ConfigureAwait(false),
                Block = await reader.IsDBNullAsync(14, cancellationToken).ConfigureAwait(false) ? null : reader.GetInt64(14),
                MinedHash = await reader.IsDBNullAsync(15, cancellationToken).ConfigureAwait(false) ? null : Hash32.Parse(reader.GetString(15)),
                GasUsed = await reader.IsDBNullAsync(16, cancellationToken).ConfigureAwait(false) ? null : reader.GetInt64(16),
                Attempt = reader.GetInt32(17),
            });
        }

        return result;
    }

    /// <inheritdoc />
    public async Task<long?> MaxNonceAsync(long chainId, Address account, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT max(nonce) FROM bridge_transactions WHERE chain_id = $1 AND account = $2 AND status <> 3");
        command.Parameters.Add(new NpgsqlParameter { Value = chainId });
        command.Parameters.Add(new NpgsqlParameter { Value = account.ToLowerHex() });
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is long nonce ? nonce : null;
    }

    /// <inheritdoc />
    public async Task<TrackedTransaction> InsertAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        // A plain INSERT: a second writer of the same attempt fails on the primary key, nothing is replaced.
        await using var command = dataSource.CreateCommand(
            Fenced($"INSERT INTO bridge_transactions ({Columns}) " +
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, " +
            "coalesce((SELECT max(attempt) + 1 FROM bridge_transactions WHERE chain_id = $1 AND account = $2 AND nonce = $3), 0) " +
            (fence is null ? string.Empty : "FROM fence ") +
            "RETURNING attempt", 17));
        AddParameters(command, transaction);
        AddFence(command);
        var attempt = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (attempt is null)
        {
            throw Refused($"nonce {transaction.Nonce} not recorded");
        }

        return transaction with { Attempt = (int)attempt };
    }

    /// <inheritdoc />
    public async Task UpdateAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var command = dataSource.CreateCommand(
            Fenced("UPDATE bridge_transactions SET gas_limit = $7, max_fee_per_gas = $8, max_priority_fee_per_gas = $9, hashes = $10, raw = $11, " +
            "status = $13, sent_at = $14, block_number = $15, mined_hash = $16, gas_used = $17, updated_at = now() " +
            "WHERE chain_id = $1 AND account = $2 AND nonce = $3 AND attempt = $18 " +
            "AND kind = $4 AND to_address = $5 AND data = $6 AND task_ids = $12" +
            (fence is null ? string.Empty : " AND EXISTS (SELECT 1 FROM fence)"), 18));
        AddParameters(command, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = transaction.Attempt });
        AddFence(command);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            await ThrowIfFencedOutAsync($"nonce {transaction.Nonce}, attempt {transaction.Attempt} not updated", cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"bridge_transactions has no row for nonce {transaction.Nonce}, attempt {transaction.Attempt}, with these tasks: an attempt's record is updated, never replaced");
        }
    }

    private static void AddParameters(NpgsqlCommand command, TrackedTransaction transaction)
    {
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = transaction.ChainId });
        p.Add(new NpgsqlParameter { Value = transaction.Account.ToLowerHex() });
        p.Add(new NpgsqlParameter { Value = transaction.Nonce });
        p.Add(new NpgsqlParameter { Value = transaction.Kind });
        p.Add(new NpgsqlParameter { Value = transaction.To.ToLowerHex() });
        p.Add(new NpgsqlParameter { Value = transaction.Data, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = transaction.GasLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        p.Add(new NpgsqlParameter { Value = transaction.MaxFeePerGas.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        p.Add(new NpgsqlParameter { Value = transaction.MaxPriorityFeePerGas.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        p.Add(new NpgsqlParameter { Value = transaction.Hashes.Select(h => h.ToString()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = transaction.Raw, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = transaction.TaskIds.Select(h => h.ToString()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (short)transaction.Status });
        p.Add(new NpgsqlParameter { Value = transaction.SentAt.ToUniversalTime() });
        p.Add(new NpgsqlParameter { Value = (object?)transaction.Block ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter { Value = (object?)transaction.MinedHash?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)transaction.GasUsed ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
    }

    /// <inheritdoc />
    public async Task<long?> GetCursorAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT block_number FROM bridge_cursors WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is long block ? block : null;
    }

    /// <inheritdoc />
    public async Task SetCursorAsync(string name, long block, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            Fenced("INSERT INTO bridge_cursors (name, block_number, updated_at) SELECT $1, $2, now() " +
            (fence is null ? string.Empty : "FROM fence ") +
            "ON CONFLICT (name) DO UPDATE SET block_number = EXCLUDED.block_number, updated_at = now()", 2));
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = block });
        AddFence(command);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw Refused($"cursor {name} not moved to block {block}");
        }
    }

    /// <inheritdoc />
    public async Task<ListenerCursor?> GetListenerCursorAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT block_number, history::text FROM bridge_cursors WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var history = await reader.IsDBNullAsync(1, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(1);
        return ListenerCursorJson.Read(reader.GetInt64(0), history);
    }

    /// <inheritdoc />
    public async Task SetListenerCursorAsync(string name, ListenerCursor cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        await using var command = dataSource.CreateCommand(
            Fenced("INSERT INTO bridge_cursors (name, block_number, history, updated_at) SELECT $1, $2, $3::jsonb, now() " +
            (fence is null ? string.Empty : "FROM fence ") +
            "ON CONFLICT (name) DO UPDATE SET block_number = EXCLUDED.block_number, history = EXCLUDED.history, updated_at = now()", 3));
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = cursor.Block });
        command.Parameters.Add(new NpgsqlParameter { Value = ListenerCursorJson.Write(cursor) });
        AddFence(command);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw Refused($"cursor {name} not moved to block {cursor.Block}");
        }
    }

    /// <inheritdoc />
    public IBridgeStore FencedBy(ILeaseFence fence)
    {
        ArgumentNullException.ThrowIfNull(fence);
        return new PostgresBridgeStore(dataSource, fence);
    }

    // The lease name and token are the two parameters after the statement's own.
    private string Fenced(string statement, int ownParameters) => fence is null
        ? statement
        : $"WITH fence AS (SELECT 1 FROM bridge_leases WHERE name = ${ownParameters + 1} AND token = ${ownParameters + 2} AND expires_at > now() FOR SHARE) " + statement;

    private void AddFence(NpgsqlCommand command)
    {
        if (fence is null)
        {
            return;
        }

        command.Parameters.Add(new NpgsqlParameter { Value = fence.LeaseName });
        command.Parameters.Add(new NpgsqlParameter { Value = fence.Token });
    }

    private LeadershipLostException Refused(string what)
        => new($"write refused ({what}): the lease {fence!.LeaseName} is no longer held with token {fence.Token}; another bridge instance leads");

    private async Task ThrowIfFencedOutAsync(string what, CancellationToken cancellationToken)
    {
        if (fence is null)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("SELECT 1 FROM bridge_leases WHERE name = $1 AND token = $2 AND expires_at > now()");
        command.Parameters.Add(new NpgsqlParameter { Value = fence.LeaseName });
        command.Parameters.Add(new NpgsqlParameter { Value = fence.Token });
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw Refused(what);
        }
    }
}
