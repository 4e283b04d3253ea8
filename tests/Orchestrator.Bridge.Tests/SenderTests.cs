using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Persistence;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// The account sender against a real node and its PostgreSQL table: nonces and in-flight tasks survive
/// a bridge restart (even with the node restarted and its mempool lost), a stuck transaction is
/// replaced with higher fees, a transaction undone by a reorg is sent round again, and a leader killed
/// mid-send is succeeded by another silo's sender that follows its transaction and continues its nonces.
/// </summary>
public sealed class SenderTests(SenderTests.Fixture node) : IClassFixture<SenderTests.Fixture>
{
    /// <summary>A node with the hub, and a database with the bridge's tables.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly PostgresDatabase _database = new();

        public AnvilNode Anvil { get; } = new() { BlockTime = 1, KeepState = true };

        public HubDeployment Hub { get; private set; } = null!;

        public string ConnectionString => _database.ConnectionString;

        public async Task InitializeAsync()
        {
            if (ChainServices.UnavailableReason is not null)
            {
                return;
            }

            await _database.InitializeAsync();

            await using (var dataSource = NpgsqlDataSource.Create(ConnectionString))
            {
                await new SchemaMigrator(dataSource).MigrateAsync();
            }

            await Anvil.StartAsync();
            Hub = await HubDeployment.DeployAsync(Anvil.Client());
        }

        public async Task DisposeAsync()
        {
            if (ChainServices.UnavailableReason is not null)
            {
                return;
            }

            await Anvil.DisposeAsync();
            await _database.DisposeAsync();
        }
    }

    private static readonly byte[] NoOp = HubContract.EncodeClaimBatch([]);

    [ChainFact]
    public async Task NonceAndInFlightTasksSurviveABridgeRestartEvenWhenTheNodeLostItsMempool()
    {
        var (store, dataSource) = Store();
        await using var lease = dataSource;
        var task = NewTask();
        await Mining(false);
        long nonce;
        await using (var first = Sender(store, confirmations: 1))
        {
            nonce = (long)await node.Anvil.Client().GetTransactionCountAsync(first.Account, BlockParameter.Pending);
            _ = first.SendAsync("claim", NoOp, 100_000, [task], CancellationToken.None);
            await Eventually.UntilAsync("the write-ahead row", async () => (await store.LoadPendingAsync(31337, first.Account, default)).Any(t => t.TaskIds.Contains(task)), TimeSpan.FromSeconds(20));
        }

        // The node restarts: the unmined transaction is gone from its mempool, the chain's pending count forgets it.
        await node.Anvil.RestartAsync();
        await using var second = Sender(store, confirmations: 1);
        Assert.Equal(nonce, (long)await node.Anvil.Client().GetTransactionCountAsync(second.Account, BlockParameter.Pending));
        await second.InitializeAsync(CancellationToken.None);

        Assert.True(second.TryGetInFlight(task, out var inFlight)); // a redelivered event would wait for this one
        var recovered = await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TrackedStatus.Confirmed, recovered.Status);
        Assert.Equal(nonce, recovered.Nonce); // re-broadcast from the stored bytes, same nonce

        var next = await second.SendAsync("claim", NoOp, 100_000, [NewTask()], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(nonce + 1, next.Nonce);
        Assert.Equal(TrackedStatus.Confirmed, next.Status);
    }

    [ChainFact]
    public async Task AStuckTransactionIsReplacedWithHigherFeesUnderTheSameNonce()
    {
        var (store, dataSource) = Store();
        await using var lease = dataSource;
        await using var sender = Sender(store, confirmations: 1, bumpAfter: TimeSpan.FromSeconds(1));
        await sender.InitializeAsync(CancellationToken.None);
        await Mining(false);
        var stuck = NewTask();
        var sending = sender.SendAsync("claim", NoOp, 100_000, [stuck], CancellationToken.None);
        TrackedTransaction? row = null;
        await Eventually.UntilAsync("a replacement", async () => (row = (await store.LoadPendingAsync(31337, sender.Account, default)).FirstOrDefault(t => t.TaskIds.Contains(stuck))) is { Hashes.Count: >= 2 }, TimeSpan.FromSeconds(30));
        await Mining(true);

        var result = await sending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TrackedStatus.Confirmed, result.Status);
        Assert.Equal(row!.Nonce, result.Nonce);
        Assert.NotEqual(row.Hashes[0], result.Hash!.Value); // a replacement was mined, not the stuck original
        var mined = await node.Anvil.Client().SendAsync("eth_getTransactionByHash", [result.Hash.Value.ToString()]);
        Assert.True(Orchestrator.Chain.Numerics.UnsignedBigEndian.ParseQuantity(mined.GetProperty("maxFeePerGas").GetString()!) >= row.MaxFeePerGas);
    }

    [ChainFact]
    public async Task ATransactionUndoneByAReorgIsSentRoundAgainAndConfirmed()
    {
        var (store, dataSource) = Store();
        await using var lease = dataSource;
        await using var sender = Sender(store, confirmations: 3);
        await sender.InitializeAsync(CancellationToken.None);
        await Mining(false);
        var snapshot = (await node.Anvil.Client().SendAsync("evm_snapshot", [])).GetString()!;
        var undone = NewTask();
        var sending = sender.SendAsync("claim", NoOp, 100_000, [undone], CancellationToken.None);
        TrackedTransaction? row = null;
        await Eventually.UntilAsync("the row", async () => (row = (await store.LoadPendingAsync(31337, sender.Account, default)).FirstOrDefault(t => t.TaskIds.Contains(undone))) is not null, TimeSpan.FromSeconds(20));
        await node.Anvil.Client().SendAsync("evm_mine", []);
        Assert.NotNull(await node.Anvil.Client().GetTransactionReceiptAsync(row!.Hashes[0]));

        // The block that carried it is reverted before the confirmations are reached.
        Assert.True((await node.Anvil.Client().SendAsync("evm_revert", [snapshot])).GetBoolean());
        Assert.Null(await node.Anvil.Client().GetTransactionReceiptAsync(row.Hashes[0]));
        await Mining(true);

        var result = await sending.WaitAsync(TimeSpan.FromSeconds(45));
        Assert.Equal(TrackedStatus.Confirmed, result.Status);
        Assert.NotNull(await node.Anvil.Client().GetTransactionReceiptAsync(result.Hash!.Value));
        Assert.True(await node.Anvil.Client().BlockNumberAsync() - result.Block!.Value + 1 >= 3);
    }

    [ChainFact]
    public async Task ALeaderKilledMidSendIsSucceededWithinTwoLeasePeriodsAndNoNonceIsReused()
    {
        var lease = TimeSpan.FromSeconds(2);
        var leaseName = $"sender:failover:{Guid.NewGuid():N}";
        var (storeA, dataSourceA) = Store();
        var (storeB, dataSourceB) = Store();
        await using var poolA = dataSourceA;
        await using var poolB = dataSourceB;
        var a = new BridgeLeadership(new PostgresLeaseStore(dataSourceA), leaseName, "silo-a", lease, TimeProvider.System, NullLogger.Instance);
        var b = new BridgeLeadership(new PostgresLeaseStore(dataSourceB), leaseName, "silo-b", lease, TimeProvider.System, NullLogger.Instance);
        using var runA = new CancellationTokenSource();
        using var runB = new CancellationTokenSource();
        Assert.True(await a.RenewOnceAsync(default));
        var loopA = a.RunAsync(runA.Token);
        var loopB = b.RunAsync(runB.Token);
        await using var senderA = Sender(storeA, confirmations: 1, leadership: a);
        await using var senderB = Sender(storeB, confirmations: 1, leadership: b);
        await Assert.ThrowsAsync<LeadershipLostException>(() => senderB.InitializeAsync(default)); // B does not sign while A leads

        // A signs a batch; it is broadcast but not mined yet when A's silo dies (no release).
        await Mining(false);
        var task = NewTask();
        var nonce = (long)await node.Anvil.Client().GetTransactionCountAsync(senderA.Account, BlockParameter.Pending);
        var sendingA = senderA.SendAsync("claim", NoOp, 100_000, [task], CancellationToken.None);
        await Eventually.UntilAsync("A's write-ahead row", async () => (await storeA.LoadPendingAsync(31337, senderA.Account, default)).Any(t => t.TaskIds.Contains(task)), TimeSpan.FromSeconds(20));
        await runA.CancelAsync();
        await loopA;

        // B takes over within two lease periods, follows A's transaction and continues the sequence.
        await Eventually.UntilAsync("B leads", () => b.IsLeader, lease * 2);
        await senderB.InitializeAsync(default);
        Assert.True(senderB.TryGetInFlight(task, out var inFlight));
        await Mining(true);
        var followed = await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((TrackedStatus.Confirmed, nonce), (followed.Status, followed.Nonce));
        var next = await senderB.SendAsync("claim", NoOp, 100_000, [NewTask()], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((TrackedStatus.Confirmed, nonce + 1), (next.Status, next.Nonce));

        // The deposed A neither signs nor writes: its follow ended without a result, its next send is refused.
        await Assert.ThrowsAsync<LeadershipLostException>(() => sendingA.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<LeadershipLostException>(() => senderA.SendAsync("claim", NoOp, 100_000, [NewTask()], CancellationToken.None));

        // One row per nonce (no attempt written twice), both confirmed, and the chain's count matches.
        await using (var rows = dataSourceB.CreateCommand("SELECT nonce, attempt, status FROM bridge_transactions WHERE account = $1 AND nonce >= $2 ORDER BY nonce, attempt"))
        {
            rows.Parameters.Add(new NpgsqlParameter { Value = senderA.Account.ToLowerHex() });
            rows.Parameters.Add(new NpgsqlParameter { Value = nonce });
            await using var reader = await rows.ExecuteReaderAsync();
            var found = new List<(long, int, short)>();
            while (await reader.ReadAsync())
            {
                found.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt16(2)));
            }

            Assert.Equal([(nonce, 0, (short)TrackedStatus.Confirmed), (nonce + 1, 0, (short)TrackedStatus.Confirmed)], found);
        }

        Assert.Equal(nonce + 2, (long)await node.Anvil.Client().GetTransactionCountAsync(senderA.Account, BlockParameter.Latest));
        await runB.CancelAsync();
        await loopB;
    }

    [ChainFact]
    public async Task ATransactionUndoneByAReorgDeeperThanItsConfirmationsIsSentAgainUntilFinal()
    {
        var (store, dataSource) = Store();
        await using var pool = dataSource;
        await using var sender = Sender(store, confirmations: 2, finalityDepth: 8);
        await sender.InitializeAsync(CancellationToken.None);
        await Mining(false);
        var task = NewTask();
        var sending = sender.SendAsync("claim", NoOp, 100_000, [task], CancellationToken.None);
        TrackedTransaction? row = null;
        await Eventually.UntilAsync("the row", async () => (row = (await store.LoadPendingAsync(31337, sender.Account, default)).FirstOrDefault(t => t.TaskIds.Contains(task))) is not null, TimeSpan.FromSeconds(20));
        await node.Anvil.Client().SendAsync("evm_mine", []);
        await node.Anvil.Client().SendAsync("evm_mine", []);
        await node.Anvil.Client().SendAsync("evm_mine", []);

        // Its waiters have their outcome at the confirmations, but the row stays pending until final.
        var confirmed = await sending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TrackedStatus.Confirmed, confirmed.Status);
        Assert.Contains(await store.LoadPendingAsync(31337, sender.Account, default), t => t.TaskIds.Contains(task));

        // A reorg of 3 blocks (deeper than the 2 confirmations) takes its block away, and nothing re-includes it.
        await node.Anvil.Client().SendAsync("anvil_reorg", [3, new System.Text.Json.Nodes.JsonArray()]);
        Assert.Null(await node.Anvil.Client().GetTransactionReceiptAsync(confirmed.Hash!.Value));

        // The sender notices, sends it again under the same nonce, and follows it to the finality depth.
        await Mining(true);
        (TrackedStatus Status, long? Block, Hash32? MinedHash)? final = null;
        await Eventually.UntilAsync(
            "the transaction final again",
            async () => (final = await RowAsync(sender, confirmed.Nonce, task)) is { Status: TrackedStatus.Confirmed },
            TimeSpan.FromSeconds(60));
        var receipt = await node.Anvil.Client().GetTransactionReceiptAsync(final!.Value.MinedHash!.Value);
        Assert.NotNull(receipt);
        Assert.Equal(final.Value.Block, (long)receipt.BlockNumber);
        Assert.True(await node.Anvil.Client().BlockNumberAsync() - final.Value.Block!.Value + 1 >= 8);
        Assert.Equal(confirmed.Nonce + 1, (long)await node.Anvil.Client().GetTransactionCountAsync(sender.Account, BlockParameter.Latest));
    }

    /// <summary>The row of the attempt that carried the task: its status, block and mined hash.</summary>
    private async Task<(TrackedStatus Status, long? Block, Hash32? MinedHash)?> RowAsync(AccountSender sender, long nonce, Hash32 task)
    {
        await using var dataSource = NpgsqlDataSource.Create(node.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT status, block_number, mined_hash FROM bridge_transactions WHERE account = $1 AND nonce = $2 AND $3 = ANY(task_ids)");
        command.Parameters.Add(new NpgsqlParameter { Value = sender.Account.ToLowerHex() });
        command.Parameters.Add(new NpgsqlParameter { Value = nonce });
        command.Parameters.Add(new NpgsqlParameter { Value = task.ToString() });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return ((TrackedStatus)reader.GetInt16(0),
            await reader.IsDBNullAsync(1) ? null : reader.GetInt64(1),
            await reader.IsDBNullAsync(2) ? null : Hash32.Parse(reader.GetString(2)));
    }

    private (PostgresBridgeStore Store, NpgsqlDataSource DataSource) Store()
    {
        var dataSource = NpgsqlDataSource.Create(node.ConnectionString);
        return (new PostgresBridgeStore(dataSource), dataSource);
    }

    private AccountSender Sender(IBridgeStore store, int confirmations, TimeSpan? bumpAfter = null, BridgeLeadership? leadership = null, int? finalityDepth = null)
    {
        var options = new BridgeOptions
        {
            Enabled = true,
            RpcUrl = node.Anvil.Endpoint,
            HubAddress = node.Hub.Hub.ToChecksumString(),
            PoolAddress = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            SchedulerKey = Hex.Encode(Accounts.SchedulerKey),
            Confirmations = confirmations,
            FinalityDepth = finalityDepth ?? confirmations,
            PollInterval = TimeSpan.FromMilliseconds(100),
            BumpAfter = bumpAfter ?? TimeSpan.FromMinutes(5),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        };
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = node.Anvil.Endpoint, RequestTimeout = TimeSpan.FromSeconds(3), MaxAttempts = 1 });
        return new AccountSender(rpc, store, new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance, leadership);
    }

    private Task Mining(bool on) => node.Anvil.Client().SendAsync("evm_setIntervalMining", [on ? 1 : 0]);

    private static Hash32 NewTask() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
