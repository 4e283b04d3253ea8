using System.Numerics;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Tasks;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// The hub's escrow through the whole system: a requester buys a deal naming a priced app and a
/// priced dataset, simulated workers run it at trust 3 (two agreeing contributions a task, each
/// staking 30 % of the price), the bridge finalizes it, and every balance is checked to the wei; then
/// a deal nobody runs reaches its final deadline and the claim gives the requester its whole escrow back.
/// </summary>
public sealed class PaymentTests(PaymentTests.Fixture cluster) : IClassFixture<PaymentTests.Fixture>
{
    private static readonly BigInteger Price = BigInteger.Pow(10, 15);
    private static readonly BigInteger AppPrice = 3 * BigInteger.Pow(10, 14);
    private static readonly BigInteger DatasetPrice = 2 * BigInteger.Pow(10, 14);
    private static readonly BigInteger PerTask = Price + AppPrice + DatasetPrice;
    private static readonly BigInteger WorkersReward = Price * (100 - HubDeployment.SchedulerRatioPercent) / 100;
    private static readonly TimeSpan DealTimeout = TimeSpan.FromSeconds(90);

    /// <summary>A cluster whose protocol clock the test moves (for the final deadline of the unrun deal).</summary>
    public sealed class Fixture : BridgeCluster
    {
        /// <summary>The silo's protocol clock.</summary>
        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        /// <inheritdoc />
        protected override TimeProvider ProtocolTime => Clock;
    }

    [ChainFact]
    public async Task APaidDealPaysEveryPartyToTheWeiAndADealNobodyRunsRefundsTheWholeEscrow()
    {
        const int tasks = 4;
        var hub = cluster.Hub;
        var app = await hub.RegisterAppAsync(Accounts.AppOwnerKey, "paid-app", AppPrice);
        var dataset = await hub.RegisterDatasetAsync(Accounts.DatasetOwnerKey, "paid-data", DatasetPrice);
        var workers = await cluster.StartWorkersAsync(3, Price);
        var requester = Accounts.Of(Accounts.RequesterKey);
        var parties = new[] { requester, Accounts.Of(Accounts.AppOwnerKey), Accounts.Of(Accounts.DatasetOwnerKey), Accounts.Of(Accounts.PoolOwnerKey), Accounts.Of(Accounts.SchedulerKey) }
            .Concat(workers.Select(w => w.Address)).ToList();
        var before = await LedgerAsync(parties);
        Hash32 dealId;
        try
        {
            dealId = await hub.CreatePaidDealAsync(tasks, Price, app, dataset, tasks * PerTask, trust: 3);

            // Locked at creation: everything sent is frozen, the free balance is untouched.
            var locked = await LedgerAsync(parties);
            Assert.Equal(before[requester].Frozen + (tasks * PerTask), locked[requester].Frozen);
            Assert.Equal(before[requester].Free, locked[requester].Free);

            await Eventually.UntilAsync($"all {tasks} tasks to be COMPLETED on chain", async () =>
                (await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => hub.TaskStatusAsync(dealId, i)))).All(s => s == HubContract.StatusCompleted), DealTimeout);
        }
        finally
        {
            await cluster.StopWorkersAsync();
        }

        // Each task: its revealed winners share the workers' part (fresh workers weigh 2 each: equal shares),
        // their stakes stay theirs; the pool owner gets the rest of the price; the app and dataset owners their prices.
        var expected = before.ToDictionary(p => p.Key, p => p.Value);
        var poolShare = BigInteger.Zero;
        for (var i = 0; i < tasks; i++)
        {
            var view = await cluster.Grains.Task(ProtocolIds.TaskId(dealId, (ulong)i)).GetViewAsync();
            var winners = view.Replicates.Where(r => r.Status == ReplicateStatus.Revealed).Select(r => r.Worker).ToList();
            Assert.InRange(winners.Count, 2, 3);
            var share = WorkersReward / winners.Count;
            foreach (var w in winners)
            {
                expected[w] = expected[w] with { Free = expected[w].Free + share };
            }

            poolShare += Price - (share * winners.Count);
        }

        var pool = Accounts.Of(Accounts.PoolOwnerKey);
        expected[pool] = expected[pool] with { Free = expected[pool].Free + poolShare };
        var appOwner = Accounts.Of(Accounts.AppOwnerKey);
        expected[appOwner] = expected[appOwner] with { Free = expected[appOwner].Free + (tasks * AppPrice) };
        var datasetOwner = Accounts.Of(Accounts.DatasetOwnerKey);
        expected[datasetOwner] = expected[datasetOwner] with { Free = expected[datasetOwner].Free + (tasks * DatasetPrice) };
        var paid = await LedgerAsync(parties);
        foreach (var party in parties)
        {
            Assert.Equal(expected[party], paid[party]);
        }

        // A deal nobody runs: past its final deadline on both clocks it is claimed, and the whole escrow comes back.
        var failing = await hub.CreatePaidDealAsync(2, Price, app, dataset, 2 * PerTask);
        await Eventually.UntilAsync("the listener to create the unrun deal", async () => (await cluster.Grains.Deal(failing).GetViewAsync()).Exists, TimeSpan.FromSeconds(30));
        Assert.Equal(paid[requester].Frozen + (2 * PerTask), await hub.FrozenAsync(requester));
        var past = (await cluster.Grains.Deal(failing).GetViewAsync()).FinalDeadline + TimeSpan.FromSeconds(5);
        if (past > cluster.Clock.GetUtcNow())
        {
            cluster.Clock.SetUtcNow(past);
        }

        await cluster.Anvil.Client().SendAsync("evm_setNextBlockTimestamp", [past.ToUnixTimeSeconds()]);
        await cluster.Anvil.Client().SendAsync("evm_mine", []);
        await cluster.Grains.Deal(failing).CheckDeadlinesAsync();
        await Eventually.UntilAsync("both tasks to be claimed (FAILED) on chain", async () =>
            (await Task.WhenAll(Enumerable.Range(0, 2).Select(i => hub.TaskStatusAsync(failing, i)))).All(s => s == HubContract.StatusFailed), TimeSpan.FromSeconds(60));
        var refunded = await LedgerAsync(parties);
        Assert.Equal(paid[requester] with { Free = paid[requester].Free + (2 * PerTask) }, refunded[requester]);
        foreach (var party in parties.Where(p => p != requester))
        {
            Assert.Equal(paid[party], refunded[party]);
        }
    }

    private async Task<Dictionary<Address, (BigInteger Free, BigInteger Frozen)>> LedgerAsync(IReadOnlyList<Address> accounts)
    {
        var ledger = new Dictionary<Address, (BigInteger Free, BigInteger Frozen)>();
        foreach (var a in accounts)
        {
            ledger[a] = (await cluster.Hub.BalanceAsync(a), await cluster.Hub.FrozenAsync(a));
        }

        return ledger;
    }
}
