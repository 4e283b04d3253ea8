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
    public async Task A_cancelled_deal_tells_its_holders_refuses_every_call_and_publishes_nothing()
    {
        var deal = Deals.New(fixture, tasks: 3, trust: 1);
        var grain = fixture.Grains.Deal(deal.DealId);
        Assert.True((await grain.CreateAsync(deal)).Created);
        // The cluster is shared: the queue may hold other tests' tasks ahead of this deal's, so the worker
        // takes with room to spare and the test follows the replicates of this deal it got.
        var worker = new ManualWorker(fixture.Grains, slots: 16);
        await worker.RegisterAsync();
        var mine = (await worker.TakeAsync(16)).Select(a => a.Assignment).Where(a => a.DealId == deal.DealId).ToList();
        var held = mine[0];

        var view = await grain.CancelAsync(Reason);
        Assert.True(view.Cancelled);
        Assert.Equal(Reason, view.CancelReason);
        Assert.True(view.IsSettled);

        // The holder's session is told to stop, with the reason (the outcome reaches the worker grain one-way,
        // so a poll may come before it); the slot is free again. A freed slot may take other queued work.
        var commands = new List<WorkerCommand>();
        await Eventually.UntilAsync("the holder to be told of the cancellation", async () =>
        {
            commands.AddRange((await worker.Grain.PollAsync(worker.Session, 0)).Commands);
            return mine.All(a => commands.OfType<CancelCommand>().Any(c => c.TaskId == a.TaskId));
        }, TimeSpan.FromSeconds(20));
        Assert.All(commands.OfType<CancelCommand>().Where(c => mine.Any(a => a.TaskId == c.TaskId)), c => Assert.Equal(Reason, c.Reason));
        Assert.DoesNotContain(commands.OfType<AssignCommand>(), a => a.Assignment.DealId == deal.DealId);
        var holdings = (await worker.Grain.GetViewAsync()).Assignments;
        Assert.All(mine, a => Assert.DoesNotContain(a.TaskId, holdings));

        // Every task refuses, naming the rule, and stays as it was.
        var late = await worker.ContributeAsync(held.TaskId, ManualWorker.Digest(held));
        Assert.Equal(TaskRefusalCode.DealCancelled, late.Refusal);
        Assert.Contains(Reason, late.Message, StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            var task = await fixture.Grains.Task(ProtocolIds.TaskId(deal.DealId, (ulong)(deal.BotFirst + i))).GetViewAsync();
            Assert.Equal(Reason, task.CancelReason);
            Assert.Equal(mine.Any(a => a.Index == deal.BotFirst + i) ? TaskStatus.Active : TaskStatus.Unset, task.Status);
        }

        var other = new ManualWorker(fixture.Grains, slots: 3);
        await other.RegisterAsync();
        Assert.DoesNotContain(await other.TakeAsync(3), a => a.Assignment.DealId == deal.DealId);

        // Nothing of the deal's tasks was published. (That a cancelled task is never failed or claimed at its
        // final deadline is the Domain's TaskCancelTests: pushing this shared cluster's clock past every
        // deadline would fail the queued tasks of every other test in the collection.)
        await grain.CheckDeadlinesAsync();
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
        var worker = new ManualWorker(fixture.Grains, slots: 16);
        await worker.RegisterAsync();
        var held = Assert.Single(await worker.TakeAsync(16), a => a.Assignment.DealId == deal.DealId).Assignment;
        Assert.True((await worker.ContributeAsync(held.TaskId, ManualWorker.Digest(held))).Accepted);
        Assert.True((await worker.Grain.RevealAsync(held.TaskId, ManualWorker.Digest(held))).Accepted);
        await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(20));

        var after = await fixture.Grains.Deal(deal.DealId).CancelAsync(Reason);
        Assert.False(after.Cancelled);
        Assert.Equal(1, after.Completed);
        await fixture.Grains.Pool().RevokeAsync([worker.Address]);
    }

    [Fact]
    public async Task Tickets_of_a_cancelled_deal_left_in_the_queue_do_not_cost_a_one_slot_worker_its_poll()
    {
        // Six tickets nobody took stay queued when their deal is cancelled; the task refuses each one
        // (DealCancelled) when a worker takes it. A worker with one slot must still get live work in one poll.
        var cancelled = Deals.New(fixture, tasks: 6, trust: 1);
        Assert.True((await fixture.Grains.Deal(cancelled.DealId).CreateAsync(cancelled)).Created);
        Assert.True((await fixture.Grains.Deal(cancelled.DealId).CancelAsync(Reason)).Cancelled);
        var live = Deals.New(fixture, tasks: 1, trust: 1);
        Assert.True((await fixture.Grains.Deal(live.DealId).CreateAsync(live)).Created);

        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        try
        {
            var taken = Assert.Single(await worker.TakeAsync(1)).Assignment;
            Assert.NotEqual(cancelled.DealId, taken.DealId);
        }
        finally
        {
            await fixture.Grains.Pool().RevokeAsync([worker.Address]);
        }
    }
}
