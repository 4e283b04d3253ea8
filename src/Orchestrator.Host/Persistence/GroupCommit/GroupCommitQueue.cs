using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>
/// Carries the storage operations of many grains to PostgreSQL in shared round trips: each flusher
/// takes everything queued when it starts and sends it as one <see cref="NpgsqlBatch"/>, which
/// PostgreSQL runs as one implicit transaction: one commit (one WAL flush) for the whole group. A
/// caller is completed only after that commit, so "written before acknowledged" holds as with one
/// statement per write; only the number of commits and round trips drops. There is no timer: at low
/// load an operation leaves at once, alone; under load the queue fills while flushers are busy.
/// </summary>
internal sealed partial class GroupCommitQueue : IAsyncDisposable
{
    private const string ReadSql = "SELECT payload, version FROM orch_grain_state WHERE service_id = $1 AND state_name = $2 AND grain_id = $3";
    private const string WriteSql = "SELECT ok, version FROM orch_write_grain_state($1, $2, $3, $4, $5)";
    private const string ClearSql = "SELECT ok, version FROM orch_clear_grain_state($1, $2, $3, $4)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _serviceId;
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Channel<StorageOperation> _queue = Channel.CreateUnbounded<StorageOperation>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly Task[] _flushers;

    public GroupCommitQueue(NpgsqlDataSource dataSource, string serviceId, GroupCommitOptions options, GroupCommitStatistics statistics, ILogger logger)
    {
        _dataSource = dataSource;
        _serviceId = serviceId;
        _maxBatch = options.MaxBatch;
        Statistics = statistics;
        _logger = logger;
        _flushers = new Task[options.Flushers];
        for (var i = 0; i < _flushers.Length; i++)
        {
            _flushers[i] = Task.Run(FlushLoopAsync);
        }
    }

    /// <summary>Counts of operations and round trips.</summary>
    public GroupCommitStatistics Statistics { get; }

    /// <summary>Queues an operation; its completion source is set when its round trip ends.</summary>
    public void Enqueue(StorageOperation operation)
    {
        if (!_queue.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(GroupCommitQueue), "the grain storage is shutting down");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_flushers).ConfigureAwait(false);
    }

    private async Task FlushLoopAsync()
    {
        // Each flusher keeps its own connection: returning it to the pool after every group would
        // cost a reset statement (one more round trip and transaction) per group.
        NpgsqlConnection? connection = null;
        var batch = new List<StorageOperation>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var operation))
            {
                batch.Add(operation);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                connection ??= await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
                await ExecuteAsync(connection, batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The connection may be broken (the server went away): open a fresh one next time.
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }

                // The whole transaction rolled back: nothing of it is stored, so every caller fails
                // (its grain deactivates and the call is retried on fresh state).
                LogBatchFailed(_logger, batch.Count, ex);
                foreach (var operation in batch)
                {
                    Fail(operation, ex);
                }
            }

            batch.Clear();
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, List<StorageOperation> batch)
    {
        // One order for every group (by key, stable): two groups that touch the same rows lock them
        // in the same order, so they cannot deadlock each other.
        var ordered = batch.Select((op, i) => (op, i))
            .OrderBy(x => x.op.StateName, StringComparer.Ordinal)
            .ThenBy(x => x.op.GrainId, StringComparer.Ordinal)
            .ThenBy(x => x.i)
            .Select(x => x.op)
            .ToList();

        await using var npgsqlBatch = new NpgsqlBatch(connection);
        foreach (var operation in ordered)
        {
            npgsqlBatch.BatchCommands.Add(ToCommand(operation));
        }

        var results = new object?[ordered.Count];
        await using (var reader = await npgsqlBatch.ExecuteReaderAsync().ConfigureAwait(false))
        {
            for (var i = 0; i < ordered.Count; i++)
            {
                if (i > 0 && !await reader.NextResultAsync().ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"the storage batch returned {i} results for {ordered.Count} operations");
                }

#pragma warning disable VSTHRD103 // ReadAsync buffered the whole row (non-sequential reader): column reads never block
                results[i] = ordered[i] is ReadOperation
                    ? await reader.ReadAsync().ConfigureAwait(false)
                        ? new StoredState(reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0), reader.GetInt32(1))
                        : (StoredState?)null
                    : await reader.ReadAsync().ConfigureAwait(false)
                        ? new WriteOutcome(reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetInt32(1))
                        : throw new InvalidOperationException("a storage write returned no row");
#pragma warning restore VSTHRD103
            }
        }

        // Complete only after the reader is disposed: the implicit transaction has committed.
        Statistics.Record(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            switch (ordered[i])
            {
                case ReadOperation read:
                    read.Completion.TrySetResult((StoredState?)results[i]);
                    break;
                case WriteOperation write:
                    write.Completion.TrySetResult((WriteOutcome)results[i]!);
                    break;
            }
        }
    }

    private NpgsqlBatchCommand ToCommand(StorageOperation operation)
    {
        switch (operation)
        {
            case ReadOperation:
                return new NpgsqlBatchCommand(ReadSql) { Parameters = { Text(_serviceId), Text(operation.StateName), Text(operation.GrainId) } };
            case WriteOperation { Payload: { } payload } write:
                return new NpgsqlBatchCommand(WriteSql)
                {
                    Parameters = { Text(_serviceId), Text(operation.StateName), Text(operation.GrainId), Version(write.ExpectedVersion), new NpgsqlParameter<byte[]> { TypedValue = payload, NpgsqlDbType = NpgsqlDbType.Bytea } },
                };
            case WriteOperation clear:
                return new NpgsqlBatchCommand(ClearSql) { Parameters = { Text(_serviceId), Text(operation.StateName), Text(operation.GrainId), Version(clear.ExpectedVersion) } };
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "unknown storage operation");
        }
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Varchar };

    private static NpgsqlParameter Version(int? version) => new() { Value = version is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static void Fail(StorageOperation operation, Exception exception)
    {
        switch (operation)
        {
            case ReadOperation read:
                read.Completion.TrySetException(exception);
                break;
            case WriteOperation write:
                write.Completion.TrySetException(exception);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group of {Count} grain storage operations failed; each caller sees the error")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
