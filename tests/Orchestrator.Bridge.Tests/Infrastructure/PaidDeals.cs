using System.Numerics;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>An account's balance on the hub: what it may withdraw, and what is locked in deals and stakes.</summary>
public readonly record struct HubBalance(BigInteger Free, BigInteger Frozen);

/// <summary>
/// The prices and the bookkeeping of the payment tests: the balances of every party read from the hub, what each is
/// owed once a paid trust-3 deal completes (PoCo's split, recomputed from the task grains' revealed winners), and the
/// two clocks moved past a deal's final deadline so its tasks can be claimed.
/// </summary>
public static class PaidDeals
{
    /// <summary>The pool's price per task.</summary>
    public static readonly BigInteger Price = BigInteger.Pow(10, 15);

    /// <summary>The app owner's price per task.</summary>
    public static readonly BigInteger AppPrice = 3 * BigInteger.Pow(10, 14);

    /// <summary>The dataset owner's price per task.</summary>
    public static readonly BigInteger DatasetPrice = 2 * BigInteger.Pow(10, 14);

    /// <summary>What the requester pays per task.</summary>
    public static readonly BigInteger PerTask = Price + AppPrice + DatasetPrice;

    /// <summary>The workers' part of the pool's price (the scheduler keeps the rest).</summary>
    public static readonly BigInteger WorkersReward = Price * (100 - HubDeployment.SchedulerRatioPercent) / 100;

    /// <summary>Every party's balance on the hub now.</summary>
    public static async Task<Dictionary<Address, HubBalance>> LedgerAsync(HubDeployment hub, IEnumerable<Address> accounts)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(accounts);
        var ledger = new Dictionary<Address, HubBalance>();
        foreach (var a in accounts)
        {
            ledger[a] = new HubBalance(await hub.BalanceAsync(a), await hub.FrozenAsync(a));
        }

        return ledger;
    }

    /// <summary>
    /// The balances after a paid deal of <paramref name="tasks"/> completed: per task, its revealed winners share the
    /// workers' part (their stakes stay theirs), the pool owner keeps the rest of the price, the owners get their prices.
    /// The requester's side is left to the caller (its escrow was sent with the deal, or taken from its deposit).
    /// </summary>
    public static async Task<Dictionary<Address, HubBalance>> PaidOutAsync(IGrainFactory grains, IReadOnlyDictionary<Address, HubBalance> before, Hash32 dealId, int tasks)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(before);
        var expected = before.ToDictionary(p => p.Key, p => p.Value);
        var poolShare = BigInteger.Zero;
        for (var i = 0; i < tasks; i++)
        {
            var view = await grains.Task(ProtocolIds.TaskId(dealId, (ulong)i)).GetViewAsync();
            var winners = view.Replicates.Where(r => r.Status == ReplicateStatus.Revealed).Select(r => r.Worker).ToList();
            Assert.InRange(winners.Count, 2, 3);
            var share = WorkersReward / winners.Count;
            foreach (var w in winners)
            {
                Credit(expected, w, share);
            }

            poolShare += Price - (share * winners.Count);
        }

        Credit(expected, Accounts.Of(Accounts.PoolOwnerKey), poolShare);
        Credit(expected, Accounts.Of(Accounts.AppOwnerKey), tasks * AppPrice);
        Credit(expected, Accounts.Of(Accounts.DatasetOwnerKey), tasks * DatasetPrice);
        return expected;
    }

    /// <summary>Adds <paramref name="amount"/> to an account's free balance.</summary>
    public static void Credit(Dictionary<Address, HubBalance> ledger, Address account, BigInteger amount)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ledger[account] = ledger[account] with { Free = ledger[account].Free + amount };
    }

    /// <summary>
    /// Moves both clocks past the deal's final deadline (the silo's injected one, and the next block's timestamp on
    /// Anvil), mines, and lets the deal grain see it: its unfinished tasks are then claimed.
    /// </summary>
    public static async Task PassFinalDeadlineAsync(BridgeCluster cluster, FakeTimeProvider clock, Hash32 dealId)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(clock);
        var past = (await cluster.Grains.Deal(dealId).GetViewAsync()).FinalDeadline + TimeSpan.FromSeconds(5);
        if (past > clock.GetUtcNow())
        {
            clock.SetUtcNow(past);
        }

        await cluster.Anvil.Client().SendAsync("evm_setNextBlockTimestamp", [past.ToUnixTimeSeconds()]);
        await cluster.Anvil.Client().SendAsync("evm_mine", []);
        await cluster.Grains.Deal(dealId).CheckDeadlinesAsync();
    }
}
