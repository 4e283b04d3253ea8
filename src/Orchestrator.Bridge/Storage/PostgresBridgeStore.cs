using System.Numerics;
using Npgsql;
using NpgsqlTypes;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>
/// The bridge's tables in PostgreSQL (migrations V5__bridge.sql, V7__bridge_attempts.sql):
/// <c>bridge_transactions</c> and <c>bridge_cursors</c>. A transaction's row is written before its
/// first broadcast (write-ahead), so a bridge killed right after sending still knows the nonce and
/// the tasks at its next start. Rows are inserted, never replaced: one per attempt at a nonce.
/// </summary>
public sealed class PostgresBridgeStore(NpgsqlDataSource dataSource) : IBridgeStore
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
            $"INSERT INTO bridge_transactions ({Columns}) " +
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, " +
            "coalesce((SELECT max(attempt) + 1 FROM bridge_transactions WHERE chain_id = $1 AND account = $2 AND nonce = $3), 0) " +
            "RETURNING attempt");
        AddParameters(command, transaction);
        var attempt = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return transaction with { Attempt = (int)attempt! };
    }

    /// <inheritdoc />
    public async Task UpdateAsync(TrackedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var command = dataSource.CreateCommand(
            "UPDATE bridge_transactions SET gas_limit = $7, max_fee_per_gas = $8, max_priority_fee_per_gas = $9, hashes = $10, raw = $11, " +
            "status = $13, sent_at = $14, block_number = $15, mined_hash = $16, gas_used = $17, updated_at = now() " +
            "WHERE chain_id = $1 AND account = $2 AND nonce = $3 AND attempt = $18 " +
            "AND kind = $4 AND to_address = $5 AND data = $6 AND task_ids = $12");
        AddParameters(command, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = transaction.Attempt });
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
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
            "INSERT INTO bridge_cursors (name, block_number, updated_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE SET block_number = EXCLUDED.block_number, updated_at = now()");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = block });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
