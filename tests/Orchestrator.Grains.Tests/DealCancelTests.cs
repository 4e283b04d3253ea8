using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tests;

/// <summary>A deal cancelled because its creation vanished from the chain: its tasks stop, its workers hear why, nothing is published.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DealCancelTests(ClusterFixture fixture)
{
    private const string Reason = "its DealCreated log was undone by a chain reorganisation";

    [Fact]
    public async Task A_cancelled_deal_tells_its_holders_refuses_every_call_and_publishes_nothing_even_past_its_final_deadline()
    {
        var deal = Deals.New(fixture, tasks: 3, trust: 1);
        var grain = fixture.Grains.Deal(deal.DealId);
        Assert.True((await grain.CreateAsync(deal)).Created);
        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        var held = Assert.Single(await worker.TakeAsync(1)).Assignment;

        var view = await grain.CancelAsync(Reason);
        Assert.True(view.Cancelled);
        Assert.Equal(Reason, view.CancelReason);
        Assert.True(view.IsSettled);

        // The holder's session is told to stop, with the reason; the slot is free again.
        var poll = await worker.Grain.PollAsync(worker.Session, 1);
        var cancel = Assert.IsType<CancelCommand>(Assert.Single(poll.Commands));
        Assert.Equal(held.TaskId, cancel.TaskId);
        Assert.Equal(Reason, cancel.Reason);
        Assert.Empty((await worker.Grain.GetViewAsync()).Assignments);

        // Every task refuses, naming the rule, and stays as it was.
        var late = await worker.ContributeAsync(held.TaskId, ManualWorker.Digest(held));
        Assert.Equal(TaskRefusalCode.DealCancelled, late.Refusal);
        Assert.Contains(Reason, late.Message, StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            var task = await fixture.Grains.Task(ProtocolIds.TaskId(deal.DealId, (ulong)(deal.BotFirst + i))).GetViewAsync();
            Assert.Equal(Reason, task.CancelReason);
            Assert.Equal(i == (int)(held.Index - deal.BotFirst) ? TaskStatus.Active : TaskStatus.Unset, task.Status);
        }

        var other = new ManualWorker(fixture.Grains, slots: 3);
        await other.RegisterAsync();
        Assert.DoesNotContain(await other.TakeAsync(3), a => a.Assignment.DealId == deal.DealId);

        // Past the final deadline nothing fails and nothing is claimed: no event of the deal's tasks at all.
        fixture.Time.Advance(11 * ClusterFixture.TestCategory.Timeref);
        await grain.CheckDeadlinesAsync();
        for (var i = 0; i < 3; i++)
        {
            await fixture.Grains.Task(ProtocolIds.TaskId(deal.DealId, (ulong)(deal.BotFirst + i))).GetViewAsync();
        }

        Assert.DoesNotContain(fixture.Ledger.OfType<TaskFailedV1>(), e => e.DealId == deal.DealId);
        Assert.DoesNotContain(fixture.Ledger.OfType<TaskCompletedV1>(), e => e.DealId == deal.DealId);
        Assert.Equal(0, (await grain.GetViewAsync()).Failed);

        // Cancelling again keeps the first reason; creating it again creates nothing.
        Assert.Equal(Reason, (await grain.CancelAsync("another reason")).CancelReason);
        Assert.False((await grain.CreateAsync(deal)).Created);
        Assert.True((await grain.GetViewAsync()).Cancelled);

        // The cluster is shared by the collection: these workers must take no task of a later test.
        await fixture.Grains.Pool().RevokeAsync([worker.Address, other.Address]);
    }

    [Fact]
    public async Task An_unknown_or_finished_deal_is_not_cancelled()
    {
        var unknown = Deals.New(fixture, tasks: 1, trust: 1);
        var view = await fixture.Grains.Deal(unknown.DealId).CancelAsync(Reason);
        Assert.False(view.Exists);
        Assert.False(view.Cancelled);

        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        var held = Assert.Single(await worker.TakeAsync(1)).Assignment;
        Assert.True((await worker.ContributeAsync(held.TaskId, ManualWorker.Digest(held))).Accepted);
        Assert.True((await worker.Grain.RevealAsync(held.TaskId, ManualWorker.Digest(held))).Accepted);
        await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(20));

        var after = await fixture.Grains.Deal(deal.DealId).CancelAsync(Reason);
        Assert.False(after.Cancelled);
        Assert.Equal(1, after.Completed);
        await fixture.Grains.Pool().RevokeAsync([worker.Address]);
    }
}
