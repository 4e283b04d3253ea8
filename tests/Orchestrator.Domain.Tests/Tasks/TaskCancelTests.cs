using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

/// <summary>A task cancelled with its deal (its creation vanished from the chain) refuses everything and settles nothing.</summary>
public sealed class TaskCancelTests
{
    private const string Reason = "DealCreated undone by a reorganisation";
    private static readonly DateTimeOffset T0 = TestKit.Start;
    private static readonly Hash32 Good = TestKit.SmallHash(0x60);

    [Fact]
    public void Cancelling_tells_every_holder_and_then_every_call_is_refused_naming_the_rule_without_change()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        var c = new TestWorker();
        Assert.True(task.Assign(a.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(task.Assign(b.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(a.Contribute(task, Good, T0.AddSeconds(10)).Accepted);

        var step = task.Cancel(Reason);
        Assert.True(step.Changed);
        var cancelled = Assert.IsType<TaskCancelled>(Assert.Single(step.Effects));
        Assert.Equal(Reason, cancelled.Reason);
        Assert.Equal([a.Address, b.Address], cancelled.Holders); // the contributor waiting for its outcome too
        Assert.True(task.Cancelled);
        Assert.Equal(TaskStatus.Active, task.Status); // kept for the record; the cancel reason says why it stopped

        var before = TaskSnapshot.Of(task) + task.CancelReason;
        var refusals = new[]
        {
            task.Assign(c.Address, 2, T0.AddSeconds(20)),
            b.Contribute(task, Good, T0.AddSeconds(20)),
            task.Reveal(a.Address, Good, T0.AddSeconds(20)),
        };
        Assert.All(refusals, r =>
        {
            Assert.Equal(TaskRefusalCode.DealCancelled, r.Refusal!.Code);
            Assert.Contains("cancelled", r.Refusal.Message, StringComparison.Ordinal);
            Assert.Contains(Reason, r.Refusal.Message, StringComparison.Ordinal);
        });
        Assert.Equal(before, TaskSnapshot.Of(task) + task.CancelReason);
        Assert.False(task.NeedsMoreReplicas(T0.AddSeconds(20)));
    }

    [Fact]
    public void A_cancelled_task_is_never_failed_at_its_final_deadline_so_nothing_is_claimed()
    {
        var task = TestKit.NewTask(1);
        task.Cancel(Reason);
        var step = task.Advance(task.Terms.FinalDeadline.AddDays(1));
        Assert.False(step.Changed);
        Assert.Empty(step.Effects);
        Assert.Equal(TaskStatus.Unset, task.Status);
        Assert.Null(task.NextWakeUp());
    }

    [Fact]
    public void Cancelling_twice_or_after_completion_changes_nothing()
    {
        var task = TestKit.NewTask(1);
        var a = new TestWorker();
        Assert.True(task.Assign(a.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(a.Contribute(task, Good, T0.AddSeconds(2)).Accepted);
        Assert.True(task.Reveal(a.Address, Good, T0.AddSeconds(3)).Accepted);
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.False(task.Cancel(Reason).Changed);
        Assert.False(task.Cancelled);

        var open = TestKit.NewTask(1);
        Assert.True(open.Cancel(Reason).Changed);
        Assert.False(open.Cancel("another reason").Changed);
        Assert.Equal(Reason, open.CancelReason);
    }

    [Fact]
    public void The_cancel_survives_a_reload_and_a_worker_refused_for_it_frees_its_slot()
    {
        var task = TestKit.NewTask(1);
        task.Cancel(Reason);
        var reloaded = new TaskRun(task.TaskId, task.Terms, task.Status, [.. task.Replicates], task.Tally, null, null, null, null, null, 0, null, task.CancelReason);
        Assert.Equal(TaskRefusalCode.DealCancelled, reloaded.Assign(new TestWorker().Address, 2, T0).Refusal!.Code);
        Assert.True(WorkerRun.EndsPart(TaskRefusalCode.DealCancelled));
        Assert.Throws<ArgumentException>(() => TestKit.NewTask(1).Cancel(" "));
    }
}
