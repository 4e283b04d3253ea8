using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>
/// Carries the storage operations of many grains to PostgreSQL in shared round trips: each flusher
/// takes everything queued when it starts and sends it as one <see cref="NpgsqlBatch"/> of at most two
/// statements per <see cref="GroupCommitRound"/>, which PostgreSQL runs as one implicit transaction:
/// one commit (one WAL flush) for the whole group. A
/// caller is completed only after that commit, so "written before acknowledged" holds as with one
/// statement per write; only the number of commits and round trips drops. There is no timer: at low
/// load an operation leaves at once, alone; under load the queue fills while flushers are busy.
/// </summary>
internal sealed partial class GroupCommitQueue : IAsyncDisposable
{
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
                connection ??= await OpenFlusherConnectionAsync().ConfigureAwait(false);
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

                // Usually the whole transaction rolled back and nothing of it is stored; if the answer could not be read
                // after the commit, some of it may be. Either way every caller fails: its grain deactivates and the
                // call is retried on the state it then reads, so no caller believes a write the store may not hold.
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

    /// <summary>
    /// Opens a flusher's connection and has its server plan each group's statements for that group
    /// (a custom plan) instead of reusing one generic plan. After five runs PostgreSQL keeps a generic
    /// plan when it looks no dearer, and it judges that on the table as it is then: on a new or small
    /// table (a fresh pool, the first seconds after a migration) the cheapest-looking generic plan reads
    /// every row of the service through the key's first column and filters by the unnested keys, and the
    /// connection keeps that plan until an ANALYZE happens to invalidate it, so each group's cost grows
    /// with the table (a 10,000-task run spent 6 ms of server CPU per lifecycle instead of 0.5 ms). A custom
    /// plan sees the array lengths and the table's current size, so it probes the primary key per row once
    /// the table is more than a few pages; planning costs about 0.2 ms per statement, parsing stays prepared.
    /// The setting is the session's: Npgsql resets a connection's settings when it returns to the pool, so
    /// other users of the data source keep the server's default.
    /// </summary>
    private async Task<NpgsqlConnection> OpenFlusherConnectionAsync()
    {
        var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand("SET plan_cache_mode = force_custom_plan", connection);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, List<StorageOperation> batch)
    {
        var rounds = GroupCommitRound.Split(batch);
        await using var npgsqlBatch = new NpgsqlBatch(connection);
        foreach (var round in rounds)
        {
            round.AddCommands(npgsqlBatch, _serviceId);
        }

        // The two statement texts never change: parsed once per connection, later groups only bind, plan and run them.
        await npgsqlBatch.PrepareAsync().ConfigureAwait(false);
        await using (var reader = await npgsqlBatch.ExecuteReaderAsync().ConfigureAwait(false))
        {
            var first = true;
            foreach (var round in rounds)
            {
                await round.ReadAsync(reader, first).ConfigureAwait(false);
                first &= round.Count == 0;
            }
        }

        // Complete only after the reader is disposed: the implicit transaction has committed.
        Statistics.Record(batch.Count, rounds.Sum(r => r.PayloadBytes));
        foreach (var round in rounds)
        {
            round.Complete();
        }
    }

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
