using System.Numerics;
using Npgsql;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Persistence;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// bridge_transactions on a fresh PostgreSQL database: a nonce used twice keeps both attempts' rows
/// and task ids, an attempt's progress updates only its own row, and what an attempt carried cannot
/// be rewritten even by hand (the table's trigger).
/// </summary>
public sealed class BridgeStoreTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        if (PostgresServer.UnavailableReason is not null)
        {
            return;
        }

        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        await new SchemaMigrator(_dataSource).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await _database.DisposeAsync();
    }

    [PostgresFact]
    public async Task ANonceUsedAgainGetsANewAttemptRowAndEarlierRowsKeepTheirTasks()
    {
        var store = new PostgresBridgeStore(DataSource);
        var first = await store.InsertAsync(Transaction(7, [Hash(1), Hash(2)]), CancellationToken.None);
        await store.UpdateAsync(first with { Status = TrackedStatus.Dropped }, CancellationToken.None);
        var second = await store.InsertAsync(Transaction(7, [Hash(3)]), CancellationToken.None);
        await store.UpdateAsync(second with { Status = TrackedStatus.Confirmed, Block = 12, GasUsed = 21_000 }, CancellationToken.None);

        Assert.Equal(0, first.Attempt);
        Assert.Equal(1, second.Attempt);
        var rows = await RowsAsync(7);
        Assert.Equal([(0, (short)TrackedStatus.Dropped, $"{Hash(1)},{Hash(2)}"), (1, (short)TrackedStatus.Confirmed, $"{Hash(3)}")], rows);
        Assert.Equal(7, await store.MaxNonceAsync(31337, Sender, CancellationToken.None));
    }

    [PostgresFact]
    public async Task WhatAnAttemptCarriedCannotBeRewritten()
    {
        var store = new PostgresBridgeStore(DataSource);
        var sent = await store.InsertAsync(Transaction(9, [Hash(4)]), CancellationToken.None);

        // Through the store: an update naming other tasks matches no row and is refused.
        var other = await Assert.ThrowsAsync<InvalidOperationException>(() => store.UpdateAsync(sent with { TaskIds = [Hash(5)], Status = TrackedStatus.Confirmed }, CancellationToken.None));
        Assert.Contains("never replaced", other.Message, StringComparison.Ordinal);

        // By hand: the trigger refuses it with the rule's name.
        await using var command = DataSource.CreateCommand("UPDATE bridge_transactions SET task_ids = ARRAY['x'] WHERE nonce = 9");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Contains("never overwritten", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal([(0, (short)TrackedStatus.Pending, $"{Hash(4)}")], await RowsAsync(9));
    }

    private static readonly Address Sender = Address.Parse("0x00000000000000000000000000000000000000aa");

    private static Hash32 Hash(byte b)
    {
        var bytes = new byte[32];
        bytes[31] = b;
        return new Hash32(bytes);
    }

    private static TrackedTransaction Transaction(long nonce, IReadOnlyList<Hash32> tasks) => new()
    {
        ChainId = 31337,
        Account = Sender,
        Nonce = nonce,
        Kind = "finalize",
        To = Address.Parse("0x00000000000000000000000000000000000000bb"),
        Data = [1, 2, 3],
        GasLimit = new BigInteger(100_000),
        MaxFeePerGas = BigInteger.One,
        MaxPriorityFeePerGas = BigInteger.One,
        Hashes = [Hash(99)],
        Raw = [4, 5],
        TaskIds = tasks,
        Status = TrackedStatus.Pending,
        SentAt = DateTimeOffset.UnixEpoch,
    };

    private async Task<List<(int Attempt, short Status, string Tasks)>> RowsAsync(long nonce)
    {
        await using var command = DataSource.CreateCommand("SELECT attempt, status, array_to_string(task_ids, ',') FROM bridge_transactions WHERE nonce = $1 ORDER BY attempt");
        command.Parameters.Add(new NpgsqlParameter { Value = nonce });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, short, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt16(1), reader.GetString(2)));
        }

        return rows;
    }
}
