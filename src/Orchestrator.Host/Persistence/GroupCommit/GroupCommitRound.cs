using Npgsql;
using NpgsqlTypes;

namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>
/// Operations of one group on distinct grains, sent as at most two statements whatever their number:
/// one lookup of every row read, one change of every row written (array parameters, unnested by the
/// server), instead of one statement and one function call per operation. The two SQL texts never
/// change, so each flusher's connection prepares them once.
/// </summary>
internal sealed class GroupCommitRound
{
    // Rows that exist for the keys asked (absent keys return nothing: no row, an empty grain).
    // The service id comes with each key ($1 repeats it) rather than as one value: a lone
    // "service_id = $1" is a condition the planner can use on its own, and on a table without
    // statistics it guesses that it selects 0.5 % of the rows, when one silo's service is every row;
    // it then reads the whole service through the key's first column instead of probing each key.
    // Joined on all three columns, the table offers only a probe per key or a scan it costs at its
    // real size.
    private const string LookupSql = """
        SELECT k.i, s.payload, s.version
          FROM unnest($1::varchar[], $2::int[], $3::varchar[], $4::varchar[]) AS k(service_id, i, state_name, grain_id)
          JOIN orch_grain_state s ON s.service_id = k.service_id AND s.state_name = k.state_name AND s.grain_id = k.grain_id
        """;

    // The fenced writes of V6's orch_write_grain_state / orch_clear_grain_state, for many rows at once:
    // a null expected version inserts (and a row already there refuses it), any other updates only the
    // row still at that version (a null payload clears it, keeping the row and bumping its version).
    // One result row per key: ok, and the new version, or the version stored before this statement
    // when refused (for the conflict's message). The service id comes with each key, as in the lookup.
    // Keys are sorted and inserted in that order, which makes two groups touching the same new rows meet in one order; the update's row locks follow the plan's order, so two
    // groups may still deadlock on rows both update (only two live activations of one grain write the same row): the
    // server then fails one group, whose callers' grains deactivate and retry on fresh state.
    private const string ChangeSql = """
        WITH k AS (SELECT * FROM unnest($1::varchar[], $2::int[], $3::varchar[], $4::varchar[], $5::int[], $6::bytea[]) AS k(service_id, i, state_name, grain_id, expected, payload)),
        inserted AS (
            INSERT INTO orch_grain_state AS s (service_id, state_name, grain_id, version, payload)
            SELECT k.service_id, k.state_name, k.grain_id, 1, k.payload FROM k WHERE k.expected IS NULL ORDER BY k.i
            ON CONFLICT DO NOTHING
            RETURNING s.state_name, s.grain_id, s.version),
        updated AS (
            UPDATE orch_grain_state AS s SET payload = k.payload, version = s.version + 1, modified_on = now()
              FROM k
             WHERE k.expected IS NOT NULL AND s.service_id = k.service_id AND s.state_name = k.state_name AND s.grain_id = k.grain_id
               AND s.version = k.expected
            RETURNING k.i, s.version)
        SELECT k.i, COALESCE(u.version, n.version) IS NOT NULL, COALESCE(u.version, n.version, c.version)
          FROM k
          LEFT JOIN updated u ON u.i = k.i
          LEFT JOIN inserted n ON n.state_name = k.state_name AND n.grain_id = k.grain_id
          LEFT JOIN orch_grain_state c ON c.service_id = k.service_id AND c.state_name = k.state_name AND c.grain_id = k.grain_id
        """;

    // Reads, and clears by an activation that never wrote (they only check that no row exists).
    private readonly List<StorageOperation> _lookups = [];

    // Writes, and clears fenced by a version.
    private readonly List<WriteOperation> _changes = [];
    private StoredState?[] _found = [];
    private WriteOutcome[] _outcomes = [];

    /// <summary>Operations in this round.</summary>
    public int Count => _lookups.Count + _changes.Count;

    /// <summary>Bytes of serialized state this round writes.</summary>
    public long PayloadBytes => _changes.Sum(c => (long)(c.Payload?.Length ?? 0));

    /// <summary>
    /// Splits a group, in queue order, into rounds of distinct grains: a grain met again starts the
    /// next round, so its operations still run in the order they were queued.
    /// </summary>
    public static List<GroupCommitRound> Split(IReadOnlyList<StorageOperation> group)
    {
        var rounds = new List<GroupCommitRound> { new() };
        var seen = new HashSet<(string, string)>();
        foreach (var operation in group)
        {
            if (!seen.Add((operation.StateName, operation.GrainId)))
            {
                seen.Clear();
                seen.Add((operation.StateName, operation.GrainId));
                rounds.Add(new GroupCommitRound());
            }

            rounds[^1].Add(operation);
        }

        foreach (var round in rounds)
        {
            round._changes.Sort(static (a, b) => CompareKeys(a, b));
        }

        return rounds;
    }

    /// <summary>Adds this round's statements (one or two) to the group's batch.</summary>
    public void AddCommands(NpgsqlBatch batch, string serviceId)
    {
        if (_lookups.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LookupSql)
            {
                Parameters = { Repeated(serviceId, _lookups.Count), Indexes(_lookups.Count), Texts(_lookups, o => o.StateName), Texts(_lookups, o => o.GrainId) },
            });
        }

        if (_changes.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(ChangeSql)
            {
                Parameters =
                {
                    Repeated(serviceId, _changes.Count), Indexes(_changes.Count), Texts(_changes, o => o.StateName), Texts(_changes, o => o.GrainId),
                    new NpgsqlParameter<int?[]> { TypedValue = _changes.Select(c => c.ExpectedVersion).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
                    new NpgsqlParameter<byte[]?[]> { TypedValue = _changes.Select(c => c.Payload).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                },
            });
        }
    }

    /// <summary>Reads this round's results; <paramref name="first"/> is false once an earlier result set was read.</summary>
#pragma warning disable VSTHRD103 // ReadAsync buffered the whole row (non-sequential reader): column reads never block
    public async Task ReadAsync(NpgsqlDataReader reader, bool first)
    {
        if (_lookups.Count > 0)
        {
            await NextAsync(reader, first).ConfigureAwait(false);
            first = false;
            _found = new StoredState?[_lookups.Count];
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                _found[reader.GetInt32(0)] = new StoredState(reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1), reader.GetInt32(2));
            }
        }

        if (_changes.Count > 0)
        {
            await NextAsync(reader, first).ConfigureAwait(false);
            _outcomes = new WriteOutcome[_changes.Count];
            var returned = 0;
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                _outcomes[reader.GetInt32(0)] = new WriteOutcome(reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetInt32(2));
                returned++;
            }

            if (returned != _changes.Count)
            {
                throw new InvalidOperationException($"the storage change returned {returned} results for {_changes.Count} writes");
            }
        }
    }

#pragma warning restore VSTHRD103

    /// <summary>Hands every caller its result: call only once the group's transaction has committed.</summary>
    public void Complete()
    {
        for (var i = 0; i < _lookups.Count; i++)
        {
            var found = _found[i];
            switch (_lookups[i])
            {
                case ReadOperation read:
                    read.Completion.TrySetResult(found);
                    break;
                case WriteOperation check:
                    check.Completion.TrySetResult(new WriteOutcome(found is null, found?.Version));
                    break;
            }
        }

        for (var i = 0; i < _changes.Count; i++)
        {
            _changes[i].Completion.TrySetResult(_outcomes[i]);
        }
    }

    private void Add(StorageOperation operation)
    {
        if (operation is WriteOperation { Payload: not null } or WriteOperation { ExpectedVersion: not null })
        {
            _changes.Add((WriteOperation)operation);
        }
        else
        {
            _lookups.Add(operation);
        }
    }

    private static async Task NextAsync(NpgsqlDataReader reader, bool first)
    {
        if (!first && !await reader.NextResultAsync().ConfigureAwait(false))
        {
            throw new InvalidOperationException("the storage batch returned fewer result sets than statements");
        }
    }

    private static int CompareKeys(StorageOperation a, StorageOperation b)
    {
        var byState = string.CompareOrdinal(a.StateName, b.StateName);
        return byState != 0 ? byState : string.CompareOrdinal(a.GrainId, b.GrainId);
    }

    private static NpgsqlParameter<string[]> Repeated(string value, int count)
        => new() { TypedValue = Enumerable.Repeat(value, count).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar };

    private static NpgsqlParameter<int[]> Indexes(int count)
        => new() { TypedValue = Enumerable.Range(0, count).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer };

    private static NpgsqlParameter<string[]> Texts<T>(List<T> operations, Func<T, string> field)
        => new() { TypedValue = operations.Select(field).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar };
}
