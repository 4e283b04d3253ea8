using System.Numerics;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// A task nobody ran reaches its final deadline: the cluster fails it, the bridge claims it on chain,
/// and the requester is refunded. The protocol clock is fake, and the chain's clock is moved as far.
/// </summary>
public sealed class RefundTests(RefundTests.Fixture cluster) : IClassFixture<RefundTests.Fixture>
{
    /// <summary>A cluster whose protocol clock the test moves.</summary>
    public sealed class Fixture : BridgeCluster
    {
        /// <summary>The silo's protocol clock.</summary>
        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        /// <inheritdoc />
        protected override TimeProvider ProtocolTime => Clock;
    }

    [ChainFact]
    public async Task TaskPastItsFinalDeadlineIsClaimedAndTheRequesterRefunded()
    {
        const int tasks = 3;
        var price = BigInteger.Pow(10, 15);
        var requester = Accounts.Of(Accounts.RequesterKey);
        var refundBefore = await cluster.Hub.BalanceAsync(requester);
        var dealId = await cluster.Hub.CreateDealAsync(tasks, price); // category XS: final deadline = start + 10 × 300 s
        await Eventually.UntilAsync("the listener to create the deal", async () => (await cluster.Grains.Deal(dealId).GetViewAsync()).Exists, TimeSpan.FromSeconds(30));

        // Past the final deadline (start + 10 × 300 s, from the chain's start time), on both clocks.
        var deadline = (await cluster.Grains.Deal(dealId).GetViewAsync()).FinalDeadline;
        var past = deadline + TimeSpan.FromSeconds(5);
        if (past > cluster.Clock.GetUtcNow())
        {
            cluster.Clock.SetUtcNow(past);
        }

        await cluster.Anvil.Client().SendAsync("evm_setNextBlockTimestamp", [past.ToUnixTimeSeconds()]);
        await cluster.Anvil.Client().SendAsync("evm_mine", []);
        await cluster.Grains.Deal(dealId).CheckDeadlinesAsync();

        await Eventually.UntilAsync("every task to be claimed (FAILED) on chain", async () => (await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => cluster.Hub.TaskStatusAsync(dealId, i)))).All(s => s == HubContract.StatusFailed), TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync("the deal's failed count", async () => (await cluster.Grains.Deal(dealId).GetViewAsync()).Failed == tasks, TimeSpan.FromSeconds(30));
        Assert.Equal(refundBefore + (tasks * price), await cluster.Hub.BalanceAsync(requester));
    }
}
