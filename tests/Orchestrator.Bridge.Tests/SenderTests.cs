using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestrator.Bridge.Contract;
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
/// replaced with higher fees, and a transaction undone by a reorg is sent round again.
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
        var sending = sender.SendAsync("claim", NoOp, 100_000, [NewTask()], CancellationToken.None);
        TrackedTransaction? row = null;
        await Eventually.UntilAsync("a replacement", async () => (row = (await store.LoadPendingAsync(31337, sender.Account, default)).FirstOrDefault()) is { Hashes.Count: >= 2 }, TimeSpan.FromSeconds(30));
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
        var sending = sender.SendAsync("claim", NoOp, 100_000, [NewTask()], CancellationToken.None);
        TrackedTransaction? row = null;
        await Eventually.UntilAsync("the row", async () => (row = (await store.LoadPendingAsync(31337, sender.Account, default)).FirstOrDefault()) is not null, TimeSpan.FromSeconds(20));
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

    private (PostgresBridgeStore Store, NpgsqlDataSource DataSource) Store()
    {
        var dataSource = NpgsqlDataSource.Create(node.ConnectionString);
        return (new PostgresBridgeStore(dataSource), dataSource);
    }

    private AccountSender Sender(IBridgeStore store, int confirmations, TimeSpan? bumpAfter = null)
    {
        var options = new BridgeOptions
        {
            Enabled = true,
            RpcUrl = node.Anvil.Endpoint,
            HubAddress = node.Hub.Hub.ToChecksumString(),
            PoolAddress = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            SchedulerKey = Hex.Encode(Accounts.SchedulerKey),
            Confirmations = confirmations,
            PollInterval = TimeSpan.FromMilliseconds(100),
            BumpAfter = bumpAfter ?? TimeSpan.FromMinutes(5),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        };
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = node.Anvil.Endpoint, RequestTimeout = TimeSpan.FromSeconds(3), MaxAttempts = 1 });
        return new AccountSender(rpc, store, new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance);
    }

    private Task Mining(bool on) => node.Anvil.Client().SendAsync("evm_setIntervalMining", [on ? 1 : 0]);

    private static Hash32 NewTask() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
