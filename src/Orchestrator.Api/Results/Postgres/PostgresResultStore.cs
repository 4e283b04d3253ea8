using Npgsql;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results.Postgres;

/// <summary>
/// Result archives and logs in PostgreSQL (tables result_objects and result_chunks, schema migration V8),
/// readable from every silo and surviving restarts; the default whenever grain state is in PostgreSQL.
/// </summary>
/// <remarks>
/// An add runs in ONE transaction: the bytes go in as 1 MiB chunk rows while they arrive (never a whole
/// archive in memory), are verified, and only then is the metadata row inserted. The partial unique
/// indexes make the first committed insert win: a concurrent second one waits for it and then finds
/// the conflict, rolls back its chunks and returns the winner. A writer that dies or is cancelled never
/// commits, so nothing of it is ever visible.
/// </remarks>
public sealed class PostgresResultStore(NpgsqlDataSource dataSource, TimeProvider time) : IResultStore
{
    /// <summary>Bytes per chunk row.</summary>
    public const int ChunkBytes = 1024 * 1024;

    private const short ResultKind = 0;
    private const short LogsKind = 1;
    private const string Columns = "task_id, worker, size, sha256, result_digest, content_type, encryption, stored_at, expired_at, id";

    /// <inheritdoc />
    public Task<ResultAddition> AddAsync(
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
        => AddObjectAsync(ResultKind, expected, writeContent, verifyContent, cancellationToken);

    /// <inheritdoc />
    public Task<ResultAddition> AddLogsAsync(StoredResult expected, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
        => AddObjectAsync(LogsKind, expected, writeContent, static (_, _) => Task.CompletedTask, cancellationToken);

    /// <inheritdoc />
    public async Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken)
        => (await FindRowAsync(ResultKind, taskId, null, cancellationToken).ConfigureAwait(false))?.Result;

    /// <inheritdoc />
    public async Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken)
        => await OpenRowAsync(await FindRowAsync(ResultKind, taskId, null, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResult>> ListLogsAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM result_objects WHERE kind = {LogsKind} AND task_id = @task ORDER BY worker");
        command.Parameters.AddWithValue("task", taskId.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var found = new List<StoredResult>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(Read(reader, LogsKind).Result);
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<Stream?> OpenLogsAsync(Hash32 taskId, Address worker, CancellationToken cancellationToken)
        => await OpenRowAsync(await FindRowAsync(LogsKind, taskId, worker, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task DropAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        // The chunks go with the row (ON DELETE CASCADE), in the same statement.
        await using var command = dataSource.CreateCommand($"DELETE FROM result_objects WHERE kind = {ResultKind} AND task_id = @task");
        command.Parameters.AddWithValue("task", taskId.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ResultSweep> DeleteExpiredAsync(DateTimeOffset storedBefore, int maxObjects, CancellationToken cancellationToken)
    {
        // One statement: the oldest live objects (rows another sweeping silo holds are skipped), their
        // chunks deleted and their rows turned into tombstones together.
        await using var command = dataSource.CreateCommand("""
            WITH doomed AS (
                SELECT id, kind, size FROM result_objects
                WHERE expired_at IS NULL AND stored_at < @before
                ORDER BY stored_at LIMIT @max
                FOR UPDATE SKIP LOCKED
            ), freed AS (
                DELETE FROM result_chunks c USING doomed d WHERE c.object_id = d.id
            )
            UPDATE result_objects o SET expired_at = @now FROM doomed d WHERE o.id = d.id
            RETURNING d.kind, d.size
            """);
        command.Parameters.AddWithValue("before", storedBefore);
        command.Parameters.AddWithValue("max", Math.Max(0, maxObjects));
        command.Parameters.AddWithValue("now", StoreClock.Now(time));
        int results = 0, logs = 0;
        long bytes = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.GetInt16(0) == ResultKind)
            {
                results++;
            }
            else
            {
                logs++;
            }

            bytes += reader.GetInt64(1);
        }

        return new ResultSweep(results, logs, bytes);
    }

    private async Task<ResultAddition> AddObjectAsync(
        short kind,
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
    {
        var worker = kind == LogsKind ? expected.Worker : (Address?)null;
        if (await FindRowAsync(kind, expected.TaskId, worker, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return new ResultAddition(existing.Result, Created: false);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long id;
        await using (var next = new NpgsqlCommand("SELECT nextval(pg_get_serial_sequence('result_objects', 'id'))", connection, transaction))
        {
            id = (long)(await next.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        long written;
        await using (var chunks = new ChunkWriteStream(connection, transaction, id))
        {
            await writeContent(chunks, cancellationToken).ConfigureAwait(false);
            await chunks.FlushAsync(cancellationToken).ConfigureAwait(false);
            written = chunks.Length;
        }

        await using (var staged = new ChunkReadStream(connection, transaction, id, written))
        {
            await verifyContent(staged, cancellationToken).ConfigureAwait(false);
        }

        // The size is what was written: a logs writer may not know it before (the receiver checks archives' sizes itself).
        var stored = StoreClock.Stamp(expected with { Size = written }, Location(kind, expected.TaskId, expected.Worker), StoreClock.Now(time));
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO result_objects (id, kind, task_id, worker, size, sha256, result_digest, content_type, encryption, stored_at)
            VALUES (@id, @kind, @task, @worker, @size, @sha256, @digest, @type, @encryption, @at)
            ON CONFLICT DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("kind", kind);
            insert.Parameters.AddWithValue("task", stored.TaskId.ToArray());
            insert.Parameters.AddWithValue("worker", stored.Worker.Bytes.ToArray());
            insert.Parameters.AddWithValue("size", stored.Size);
            insert.Parameters.AddWithValue("sha256", stored.Sha256.ToArray());
            insert.Parameters.AddWithValue("digest", stored.ResultDigest.ToArray());
            insert.Parameters.AddWithValue("type", stored.ContentType);
            insert.Parameters.AddWithValue("encryption", stored.Encryption);
            insert.Parameters.AddWithValue("at", stored.StoredAt);
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                // Another add committed first (this insert waited for it): its object stands, ours is rolled back.
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                var winner = await FindRowAsync(kind, expected.TaskId, worker, CancellationToken.None).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"the {(kind == ResultKind ? "result" : "logs")} of task {expected.TaskId} conflicted but cannot be read back");
                return new ResultAddition(winner.Result, Created: false);
            }
        }

        // The one step that makes the object exist: bytes and metadata commit together.
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ResultAddition(stored, Created: true);
    }

    private async Task<Row?> FindRowAsync(short kind, Hash32 taskId, Address? worker, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM result_objects WHERE kind = @kind AND task_id = @task" + (worker is null ? "" : " AND worker = @worker"));
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("task", taskId.ToArray());
        if (worker is { } w)
        {
            command.Parameters.AddWithValue("worker", w.Bytes.ToArray());
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader, kind) : null;
    }

    private Task<Stream?> OpenRowAsync(Row? row)
    {
        // A tombstone has no bytes.
        Stream? stream = row is { Result.ExpiredAt: null } live ? new ChunkReadStream(dataSource, live.Id, live.Result.Size) : null;
        return Task.FromResult(stream);
    }

    private static Row Read(NpgsqlDataReader reader, short kind)
    {
        var taskId = new Hash32(reader.GetFieldValue<byte[]>(0));
        var worker = new Address(reader.GetFieldValue<byte[]>(1));
        var result = new StoredResult(taskId, worker, reader.GetInt64(2), new Hash32(reader.GetFieldValue<byte[]>(3)), reader.GetString(5), Location(kind, taskId, worker))
        {
            ResultDigest = new Hash32(reader.GetFieldValue<byte[]>(4)),
            Encryption = reader.GetString(6),
            StoredAt = reader.GetFieldValue<DateTimeOffset>(7),
            ExpiredAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        };
        return new Row(reader.GetInt64(9), result);
    }

    private static string Location(short kind, Hash32 taskId, Address worker)
        => kind == ResultKind ? $"postgres:results/{taskId}" : $"postgres:logs/{taskId}/{worker.ToLowerHex()}";

    private sealed record Row(long Id, StoredResult Result);
}
