using System.Numerics;
using Npgsql;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Persistence;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// bridge_leases on a fresh PostgreSQL database, with two silos' stores (each its own connection pool):
/// the lease's token grows on every change of holder, and a deposed leader's late writes (insert,
/// update, cursor) are refused by the database with <see cref="LeadershipLostException"/> and change nothing.
/// </summary>
public sealed class LeaseFencingTests : IAsyncLifetime
{
    private const string Lease = "sender:31337:0x00000000000000000000000000000000000000aa";
    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource? _siloA;
    private NpgsqlDataSource? _siloB;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        if (PostgresServer.UnavailableReason is not null)
        {
            return;
        }

        _siloA = NpgsqlDataSource.Create(_database.ConnectionString);
        _siloB = NpgsqlDataSource.Create(_database.ConnectionString);
        await new SchemaMigrator(_siloA).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var dataSource in new[] { _siloA, _siloB })
        {
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync();
            }
        }

        await _database.DisposeAsync();
    }

    [PostgresFact]
    public async Task OnlyTheHolderRenewsARunningLeaseAndATakeoverBumpsTheToken()
    {
        var leasesA = new PostgresLeaseStore(_siloA!);
        var leasesB = new PostgresLeaseStore(_siloB!);

        Assert.Equal(1, (await leasesA.TryAcquireAsync(Lease, "a", TimeSpan.FromMinutes(1), default))!.Token);
        Assert.Null(await leasesB.TryAcquireAsync(Lease, "b", TimeSpan.FromMinutes(1), default));
        Assert.Equal(1, (await leasesA.TryAcquireAsync(Lease, "a", TimeSpan.FromMinutes(1), default))!.Token);

        await leasesA.ReleaseAsync(Lease, "a", 1, default);
        Assert.Equal(2, (await leasesB.TryAcquireAsync(Lease, "b", TimeSpan.FromMinutes(1), default))!.Token);
        Assert.Null(await leasesA.TryAcquireAsync(Lease, "a", TimeSpan.FromMinutes(1), default));
        Assert.Equal(("b", 2L), await LeaseRowAsync());
    }

    [PostgresFact]
    public async Task ADeposedLeadersLateWritesAreRefusedAndChangeNothing()
    {
        var leasesA = new PostgresLeaseStore(_siloA!);
        var leasesB = new PostgresLeaseStore(_siloB!);
        var tokenA = (await leasesA.TryAcquireAsync(Lease, "a", TimeSpan.FromMinutes(1), default))!.Token;
        var storeA = new PostgresBridgeStore(_siloA!).FencedBy(new Fence(Lease, tokenA));
        var written = await storeA.InsertAsync(Transaction(5, 1), default);
        await storeA.SetCursorAsync("deals", 10, default);

        // A stalls (a long pause, a partition); its lease runs out and B takes it over.
        await ExpireLeaseAsync();
        var tokenB = (await leasesB.TryAcquireAsync(Lease, "b", TimeSpan.FromMinutes(1), default))!.Token;
        Assert.Equal(tokenA + 1, tokenB);

        // A wakes up and writes with its old token: every write is refused, naming the rule.
        var insert = await Assert.ThrowsAsync<LeadershipLostException>(() => storeA.InsertAsync(Transaction(6, 2), default));
        Assert.Contains($"no longer held with token {tokenA}", insert.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<LeadershipLostException>(() => storeA.UpdateAsync(written with { Status = TrackedStatus.Dropped }, default));
        await Assert.ThrowsAsync<LeadershipLostException>(() => storeA.SetCursorAsync("deals", 3, default));

        // Nothing changed; B's writes under its token go through.
        var storeB = new PostgresBridgeStore(_siloB!).FencedBy(new Fence(Lease, tokenB));
        var pending = await storeB.LoadPendingAsync(31337, Sender, default);
        Assert.Equal([5L], pending.Select(t => t.Nonce));
        Assert.Equal(10, await storeB.GetCursorAsync("deals", default));
        await storeB.UpdateAsync(written with { Status = TrackedStatus.Confirmed, Block = 3, GasUsed = 50_000 }, default);
        var next = await storeB.InsertAsync(Transaction(6, 3), default);
        Assert.Equal(0, next.Attempt);
        Assert.Equal(6, await storeB.MaxNonceAsync(31337, Sender, default));
        Assert.DoesNotContain(await storeB.LoadPendingAsync(31337, Sender, default), t => t.Nonce == 5);

        // An unfenced update naming no row is still told apart from a fenced-out one.
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => storeB.UpdateAsync(Transaction(99, 4), default));
        Assert.Contains("never replaced", missing.Message, StringComparison.Ordinal);
    }

    private sealed record Fence(string LeaseName, long Token) : ILeaseFence;

    private static readonly Address Sender = Address.Parse("0x00000000000000000000000000000000000000aa");

    private static TrackedTransaction Transaction(long nonce, byte task) => new()
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
        TaskIds = [Hash(task)],
        Status = TrackedStatus.Pending,
        SentAt = DateTimeOffset.UnixEpoch,
    };

    private static Hash32 Hash(byte b)
    {
        var bytes = new byte[32];
        bytes[31] = b;
        return new Hash32(bytes);
    }

    // The database's clock decides expiry: moving expires_at into the past is a lease that ran out.
    private async Task ExpireLeaseAsync()
    {
        await using var command = _siloA!.CreateCommand("UPDATE bridge_leases SET expires_at = now() - interval '1 second' WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Lease });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private async Task<(string Holder, long Token)> LeaseRowAsync()
    {
        await using var command = _siloA!.CreateCommand("SELECT holder, token FROM bridge_leases WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Lease });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetInt64(1));
    }
}
