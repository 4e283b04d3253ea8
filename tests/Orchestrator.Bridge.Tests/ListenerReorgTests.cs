using System.Diagnostics.Metrics;
using System.Numerics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Listening;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Reorgs;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using Orchestrator.Telemetry;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// The deal listener under reorganisations deeper than its confirmations (1 block here), on a real Anvil
/// with a real silo: <c>anvil_reorg</c> undoing a deal's block, the same deal mined again in another
/// block, <c>evm_snapshot</c>/<c>evm_revert</c> followed by new blocks at the same heights, and a reorg
/// deeper than the hashes a listener keeps.
/// </summary>
public sealed class ListenerReorgTests(ListenerReorgTests.Fixture cluster) : IClassFixture<ListenerReorgTests.Fixture>, IDisposable
{
    private static readonly BigInteger Price = BigInteger.Pow(10, 15);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly MeterListener _meters = new();
    private readonly List<(string Outcome, long Depth)> _reorgs = [];

    /// <summary>The fixture: one chain, broker vhost, database and silo for this class.</summary>
    public sealed class Fixture : BridgeCluster;

    [ChainFact]
    public async Task ADealWhoseCreationIsUndoneByAReorgDeeperThanTheConfirmationsIsCancelledAndItsTasksRefused()
    {
        Listen();
        var before = cluster.Listener.Cancelled;
        var (dealId, _, receipt) = await cluster.Hub.CreateDealSignedAsync(2, Price, BlockParameter.Pending);
        await UntilReadAsync(dealId, (long)receipt.BlockNumber);

        // Undo every block from the deal's on (at least 2: deeper than the listener's 1 confirmation), re-including nothing.
        var depth = (long)await Rpc.BlockNumberAsync() - (long)receipt.BlockNumber + 1;
        await Rpc.SendAsync("anvil_reorg", [depth, new JsonArray()]);
        Assert.Null(await Rpc.GetTransactionReceiptAsync(receipt.TransactionHash));

        var view = await Eventually.ForAsync("the deal to be cancelled", () => cluster.Grains.Deal(dealId).GetViewAsync(), v => v.Cancelled, Timeout);
        Assert.Contains("reorganisation", view.CancelReason, StringComparison.Ordinal);
        await Eventually.UntilAsync("the listener to count the cancellation", () => cluster.Listener.Cancelled == before + 1, Timeout);
        Assert.Contains(_reorgs, r => r.Outcome == "walked_back" && r.Depth >= 1);

        // Its tasks refuse, naming the rule; nothing of it exists on chain to finalize or claim.
        var worker = Secp256k1.NewPrivateKey();
        for (var i = 0; i < 2; i++)
        {
            var taskId = ProtocolIds.TaskId(dealId, (ulong)i);
            var refused = await cluster.Grains.Task(taskId).ContributeAsync(Secp256k1.AddressOf(worker), 0, Hash32.Zero, Hash32.Zero, new byte[65]);
            Assert.Equal(TaskRefusalCode.DealCancelled, refused.Refusal);
            Assert.Equal(0, await cluster.Hub.TaskStatusAsync(dealId, i));
        }
    }

    [ChainFact]
    public async Task ADealWhoseCreationReappearsInAnotherBlockIsCreatedOnceAndKept()
    {
        var (dealId, raw, receipt) = await cluster.Hub.CreateDealSignedAsync(3, Price, BlockParameter.Pending);
        await UntilReadAsync(dealId, (long)receipt.BlockNumber);
        var created = cluster.Listener.Created;
        var reorgs = cluster.Listener.Reorgs;
        var headBefore = (long)await Rpc.BlockNumberAsync();

        // The reorganised blocks carry the same signed transaction again, one block later than before.
        await Rpc.SendAsync("anvil_reorg", [headBefore - (long)receipt.BlockNumber + 1, new JsonArray(new JsonArray(Hex.Encode(raw), 1))]);
        var again = (await Rpc.GetTransactionReceiptAsync(receipt.TransactionHash))!;
        Assert.Equal(receipt.BlockNumber + 1, again.BlockNumber);

        // Read past the new block and the old height, with nothing left to judge: kept, created once.
        await Eventually.UntilAsync("the listener to read the new chain past the deal", async () =>
            (await CursorAsync()) is { } c && c.Block >= Math.Max((long)again.BlockNumber, headBefore) && c.Orphans.Count == 0, Timeout);
        Assert.True(cluster.Listener.Reorgs > reorgs);
        Assert.Equal(created, cluster.Listener.Created);
        var view = await cluster.Grains.Deal(dealId).GetViewAsync();
        Assert.True(view.Exists);
        Assert.False(view.Cancelled, $"mined at {receipt.BlockNumber}, again at {again.BlockNumber}, head before {headBefore}: {view.CancelReason}");
        Assert.Equal(3, view.BotSize);
    }

    [ChainFact]
    public async Task AfterEvmRevertNewBlocksAtTheSameHeightsAreReadAgainFromTheFork()
    {
        var snapshot = (await Rpc.SendAsync("evm_snapshot", [])).GetString()!;
        var (undone, _, receipt) = await cluster.Hub.CreateDealSignedAsync(1, Price, BlockParameter.Pending);
        await UntilReadAsync(undone, (long)receipt.BlockNumber);
        var cursor = (await CursorAsync())!;
        var reorgs = cluster.Listener.Reorgs;

        Assert.True((await Rpc.SendAsync("evm_revert", [snapshot])).GetBoolean());
        Assert.Null(await Rpc.GetTransactionReceiptAsync(receipt.TransactionHash));

        // The new chain grows through the same heights with other blocks; another deal is bought in it,
        // from the requester's nonce on the new chain (so the undone transaction can never be mined).
        var (replacement, _, _) = await cluster.Hub.CreateDealSignedAsync(1, Price, BlockParameter.Latest);
        await Eventually.UntilAsync("the new chain to reach the old cursor's height", async () => (long)await Rpc.BlockNumberAsync() > cursor.Block + 1, Timeout);
        var header = await Rpc.GetBlockByNumberAsync(BlockParameter.Number(cursor.Block));
        Assert.NotEqual(cursor.HashAt(cursor.Block), header!.Hash);

        await Eventually.ForAsync("the undone deal to be cancelled", () => cluster.Grains.Deal(undone).GetViewAsync(), v => v.Cancelled, Timeout);
        await Eventually.ForAsync("the new chain's deal to be created", () => cluster.Grains.Deal(replacement).GetViewAsync(), v => v.Exists, Timeout);
        Assert.True(cluster.Listener.Reorgs > reorgs);
        Assert.False((await cluster.Grains.Deal(replacement).GetViewAsync()).Cancelled);
        var now = (await CursorAsync())!;
        Assert.Equal((await Rpc.GetBlockByNumberAsync(BlockParameter.Number(now.Block)))!.Hash, now.HashAt(now.Block));
    }

    [ChainFact]
    public async Task AReorgDeeperThanTheKeptHashesStopsTheListenerWithAClearErrorAndLosesNothing()
    {
        Listen();
        // Run first on a young chain, the start block and the reorg below need a dozen blocks of history.
        if ((long)await Rpc.BlockNumberAsync() < 12)
        {
            await Rpc.SendAsync("anvil_mine", ["0xc"]);
        }

        var head = (long)await Rpc.BlockNumberAsync();
        var options = new BridgeOptions
        {
            ChainId = 31337,
            HubAddress = cluster.Hub.Hub.ToChecksumString(),
            PoolAddress = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            ListenerConfirmations = 0,
            ListenerHashHistory = 3,
            ListenerStartBlock = head - 10,
        };
        var store = new InMemoryBridgeStore();
        var listener = new DealListener(Rpc, store, cluster.Grains, options, TimeProvider.System, NullLogger<DealListener>.Instance);
        var reached = await listener.PollOnceAsync(CancellationToken.None);
        var kept = (await store.GetListenerCursorAsync(listener.CursorName, default))!;
        Assert.Equal(3, kept.Hashes.Count);

        await Rpc.SendAsync("anvil_reorg", [(long)await Rpc.BlockNumberAsync() - reached + 5, new JsonArray()]);

        var error = await Assert.ThrowsAsync<ReorgTooDeepException>(() => listener.PollOnceAsync(CancellationToken.None));
        Assert.Contains("deeper than the 3 block hashes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Chain:ListenerHashHistory", error.Message, StringComparison.Ordinal);
        Assert.Contains(_reorgs, r => r.Outcome == "too_deep" && r.Depth == 3);

        // It stays stopped (no range skipped silently) and its cursor is where it was.
        await Assert.ThrowsAsync<ReorgTooDeepException>(() => listener.PollOnceAsync(CancellationToken.None));
        Assert.Equal(kept, (await store.GetListenerCursorAsync(listener.CursorName, default))!, CursorComparer.Instance);
    }

    public void Dispose() => _meters.Dispose();

    private EthereumRpcClient Rpc => cluster.Anvil.Client();

    private void Listen()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BridgeTelemetry.Name && instrument.Name == "orchestrator.bridge.listener_reorgs")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? outcome = null;
            long depth = -1;
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome") outcome = (string?)tag.Value;
                if (tag.Key == "depth") depth = Convert.ToInt64(tag.Value, System.Globalization.CultureInfo.InvariantCulture);
            }

            lock (_reorgs)
            {
                _reorgs.Add((outcome ?? string.Empty, depth));
            }
        });
        _meters.Start();
    }

    /// <summary>Waits until the cluster has the deal and the listener's cursor passed its block.</summary>
    private async Task UntilReadAsync(Hash32 dealId, long block)
    {
        await Eventually.UntilAsync("the listener's cursor to pass the deal's block", async () => (await CursorAsync())?.Block >= block, Timeout);
        Assert.True((await cluster.Grains.Deal(dealId).GetViewAsync()).Exists);
    }

    private async Task<ListenerCursor?> CursorAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString);
        return await new PostgresBridgeStore(dataSource).GetListenerCursorAsync(cluster.Listener.CursorName, default);
    }

    private sealed class CursorComparer : IEqualityComparer<ListenerCursor>
    {
        public static readonly CursorComparer Instance = new();

        public bool Equals(ListenerCursor? x, ListenerCursor? y)
            => x is not null && y is not null && x.Block == y.Block && x.Hashes.SequenceEqual(y.Hashes) && x.Seen.SequenceEqual(y.Seen) && x.Orphans.SequenceEqual(y.Orphans);

        public int GetHashCode(ListenerCursor obj) => obj.Block.GetHashCode();
    }
}
