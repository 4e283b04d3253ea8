using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestrator.Host.Persistence;
using Orchestrator.Host.Persistence.GroupCommit;
using Orchestrator.Integration.Tests.Infrastructure;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orchestrator.Integration.Tests;

/// <summary>The group-commit grain storage on a real PostgreSQL: the ADO.NET provider's contract, fewer commits.</summary>
public sealed class GroupCommitStorageTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string StateName = "test-state";
    private NpgsqlDataSource _dataSource = null!;
    private GroupCommitQueue _queue = null!;
    private GroupCommitGrainStorage _storage = null!;

    public async Task InitializeAsync()
    {
        if (PostgresServer.UnavailableReason is not null)
        {
            return;
        }

        _dataSource = PostgresDataSource.Create(database.ConnectionString);
        await new SchemaMigrator(_dataSource).MigrateAsync();
        (_queue, _storage) = Create(_dataSource, "group-commit-tests");
    }

    public async Task DisposeAsync()
    {
        if (PostgresServer.UnavailableReason is not null)
        {
            return;
        }

        await _queue.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    [PostgresFact]
    public async Task A_written_state_reads_back_with_its_etag()
    {
        var id = NewGrain();
        var state = new GrainState<List<string>> { State = ["a", "b"] };
        await _storage.WriteStateAsync(StateName, id, state);
        Assert.Equal("1", state.ETag);

        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, id, read);
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.ETag);
        Assert.Equal(["a", "b"], read.State);

        read.State!.Add("c");
        await _storage.WriteStateAsync(StateName, id, read);
        Assert.Equal("2", read.ETag);
    }

    [PostgresFact]
    public async Task A_missing_grain_reads_as_empty_without_an_etag()
    {
        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, NewGrain(), read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Empty(read.State!);
    }

    [PostgresFact]
    public async Task A_stale_etag_is_refused_and_changes_nothing()
    {
        var id = NewGrain();
        var first = new GrainState<List<string>> { State = ["first"] };
        await _storage.WriteStateAsync(StateName, id, first);
        var stale = new GrainState<List<string>> { State = ["stale"], ETag = first.ETag };
        first.State.Add("second");
        await _storage.WriteStateAsync(StateName, id, first);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, id, stale));
        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, id, read);
        Assert.Equal(["first", "second"], read.State);
    }

    [PostgresFact]
    public async Task Two_activations_racing_a_first_write_store_exactly_one()
    {
        var id = NewGrain();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await _storage.WriteStateAsync(StateName, id, new GrainState<List<string>> { State = [$"writer {i}"] });
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));
        Assert.Equal(1, results.Count(ok => ok));
    }

    [PostgresFact]
    public async Task A_cleared_state_reads_empty_and_fences_the_older_etag()
    {
        var id = NewGrain();
        var state = new GrainState<List<string>> { State = ["x"] };
        await _storage.WriteStateAsync(StateName, id, state);
        var older = new GrainState<List<string>> { State = ["resurrected"], ETag = state.ETag };
        await _storage.ClearStateAsync(StateName, id, state);
        Assert.False(state.RecordExists);
        Assert.Equal("2", state.ETag);

        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, id, read);
        Assert.False(read.RecordExists);
        Assert.Equal("2", read.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, id, older));

        // The clearing activation may write again from its new ETag.
        state.State = ["again"];
        await _storage.WriteStateAsync(StateName, id, state);
        Assert.Equal("3", state.ETag);
    }

    [PostgresFact]
    public async Task Clearing_what_another_activation_wrote_without_its_etag_is_refused()
    {
        var id = NewGrain();
        await _storage.WriteStateAsync(StateName, id, new GrainState<List<string>> { State = ["kept"] });
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, id, new GrainState<List<string>>()));
        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, id, read);
        Assert.Equal(["kept"], read.State);
    }

    [PostgresFact]
    public async Task Concurrent_grains_share_round_trips_and_every_write_is_stored()
    {
        var ids = Enumerable.Range(0, 400).Select(_ => NewGrain()).ToList();
        var before = (_queue.Statistics.Operations, _queue.Statistics.RoundTrips);
        var states = ids.Select((_, i) => new GrainState<List<string>> { State = [$"value {i}"] }).ToList();
        await Task.WhenAll(ids.Select((id, i) => _storage.WriteStateAsync(StateName, id, states[i])));

        var operations = _queue.Statistics.Operations - before.Operations;
        var roundTrips = _queue.Statistics.RoundTrips - before.RoundTrips;
        Assert.Equal(400, operations);
        Assert.True(roundTrips < operations / 4, $"{operations} writes took {roundTrips} round trips: they were not grouped");
        for (var i = 0; i < ids.Count; i++)
        {
            var read = new GrainState<List<string>>();
            await _storage.ReadStateAsync(StateName, ids[i], read);
            Assert.Equal([$"value {i}"], read.State);
        }
    }

    [PostgresFact]
    public async Task Services_do_not_see_each_others_state()
    {
        var (otherQueue, other) = Create(_dataSource, "another-service");
        await using var _ = otherQueue;
        var id = NewGrain();
        await _storage.WriteStateAsync(StateName, id, new GrainState<List<string>> { State = ["mine"] });
        var read = new GrainState<List<string>>();
        await other.ReadStateAsync(StateName, id, read);
        Assert.False(read.RecordExists);
    }

    [PostgresFact]
    public async Task An_unreachable_database_fails_each_caller_instead_of_hanging()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = 1, Timeout = 2 }.ConnectionString;
        await using var dead = PostgresDataSource.Create(unreachable);
        var (queue, storage) = Create(dead, "group-commit-tests");
        await using var _ = queue;
        var failures = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try
            {
                await storage.WriteStateAsync(StateName, NewGrain(), new GrainState<List<string>> { State = ["never"] });
                return false;
            }
            catch (NpgsqlException)
            {
                return true;
            }
        }));
        Assert.All(failures, Assert.True);
    }

    [PostgresFact]
    public async Task A_group_probes_each_key_on_a_table_without_statistics()
    {
        // A temporary table of the same shape hides the real one on this connection (temporary tables come
        // first in the search path) and is never analysed by autovacuum: 5,000 rows of one service, with no
        // statistics, as a new pool's table is in its first minutes.
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using (var setup = new NpgsqlCommand("""
            CREATE TEMPORARY TABLE orch_grain_state (LIKE public.orch_grain_state INCLUDING ALL) WITH (fillfactor = 60);
            INSERT INTO orch_grain_state (service_id, state_name, grain_id, version, payload)
            SELECT 'plan-tests', 'task', 'task/' || g, 1, decode(repeat('ab', 700), 'hex') FROM generate_series(1, 5000) g;
            """, connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var group = Enumerable.Range(0, 12).Select(i => (StorageOperation)new WriteOperation("task", $"task/{i + 1}", 1, [1, 2, 3]))
            .Concat(Enumerable.Range(0, 12).Select(i => (StorageOperation)new ReadOperation("task", $"task/{i + 4000}")))
            .ToList();
        await using var batch = new NpgsqlBatch();
        Assert.Single(GroupCommitRound.Split(group)).AddCommands(batch, "plan-tests");

        // Each statement planned for its own arguments, as the flushers' connections plan them: the table is
        // read by probes of its whole primary key, never by its first column alone nor by a scan of every row.
        foreach (NpgsqlBatchCommand statement in batch.BatchCommands)
        {
            var plan = await ExplainAsync(connection, statement);
            Assert.DoesNotContain("Seq Scan on orch_grain_state", plan, StringComparison.Ordinal);
            var conditions = plan.Split('\n').Where(line => line.Contains("Index Cond", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(conditions);
            Assert.All(conditions, condition => Assert.Contains("grain_id", condition, StringComparison.Ordinal));
        }
    }

    private static async Task<string> ExplainAsync(NpgsqlConnection connection, NpgsqlBatchCommand statement)
    {
        await using var explain = new NpgsqlCommand("EXPLAIN (COSTS OFF) " + statement.CommandText, connection);
        foreach (NpgsqlParameter parameter in statement.Parameters)
        {
            explain.Parameters.Add(parameter.Clone());
        }

        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    private static GrainId NewGrain() => GrainId.Create("test-grain", Guid.NewGuid().ToString("n"));

    private static (GroupCommitQueue Queue, GroupCommitGrainStorage Storage) Create(NpgsqlDataSource dataSource, string serviceId)
    {
        var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var queue = new GroupCommitQueue(dataSource, serviceId, new GroupCommitOptions(), new GroupCommitStatistics(), NullLogger.Instance);
        return (queue, new GroupCommitGrainStorage(queue, new OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>())));
    }
}
