using System.Numerics;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using static Orchestrator.Bridge.Tests.Infrastructure.PaidDeals;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// The hub's escrow through the whole system: a requester buys a deal naming a priced app and a
/// priced dataset, simulated workers run it at trust 3 (two agreeing contributions a task, each
/// staking 30 % of the price), the bridge finalizes it, and every balance is checked to the wei; then
/// a deal nobody runs reaches its final deadline and the claim gives the requester its whole escrow back.
/// </summary>
public sealed class PaymentTests(PaymentTests.Fixture cluster) : IClassFixture<PaymentTests.Fixture>
{
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

        var expected = await PaidDeals.PaidOutAsync(cluster.Grains, before, dealId, tasks);
        var paid = await LedgerAsync(parties);
        foreach (var party in parties)
        {
            Assert.Equal(expected[party], paid[party]);
        }

        // A deal nobody runs: past its final deadline on both clocks it is claimed, and the whole escrow comes back.
        var failing = await hub.CreatePaidDealAsync(2, Price, app, dataset, 2 * PerTask);
        await Eventually.UntilAsync("the listener to create the unrun deal", async () => (await cluster.Grains.Deal(failing).GetViewAsync()).Exists, TimeSpan.FromSeconds(30));
        Assert.Equal(paid[requester].Frozen + (2 * PerTask), await hub.FrozenAsync(requester));
        await PaidDeals.PassFinalDeadlineAsync(cluster, cluster.Clock, failing);
        await Eventually.UntilAsync("both tasks to be claimed (FAILED) on chain", async () =>
            (await Task.WhenAll(Enumerable.Range(0, 2).Select(i => hub.TaskStatusAsync(failing, i)))).All(s => s == HubContract.StatusFailed), TimeSpan.FromSeconds(60));
        var refunded = await LedgerAsync(parties);
        Assert.Equal(paid[requester] with { Free = paid[requester].Free + (2 * PerTask) }, refunded[requester]);
        foreach (var party in parties.Where(p => p != requester))
        {
            Assert.Equal(paid[party], refunded[party]);
        }
    }

    private Task<Dictionary<Address, HubBalance>> LedgerAsync(IReadOnlyList<Address> accounts) => PaidDeals.LedgerAsync(cluster.Hub, accounts);
}
