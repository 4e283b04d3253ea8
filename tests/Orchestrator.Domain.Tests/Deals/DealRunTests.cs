using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Tests.Deals;

public sealed class DealRunTests
{
    [Fact]
    public void Each_task_counts_once_and_the_last_one_finishes_the_deal()
    {
        var run = DealRun.Start(botFirst: 10, botSize: 3);
        Assert.Equal(DealNotice.Counted, run.TaskFinal(10, completed: true, reopens: 1));
        Assert.Equal(DealNotice.Ignored, run.TaskFinal(10, completed: false, reopens: 5)); // a repeated notice
        Assert.Equal(DealNotice.Counted, run.TaskFinal(12, completed: false, reopens: 0));
        Assert.Equal([11L], run.OpenIndices());
        Assert.Equal(DealNotice.Finished, run.TaskFinal(11, completed: true, reopens: 0));
        Assert.Equal((2, 1, 1, true), (run.Completed, run.Failed, run.Reopens, run.Finished));
        Assert.Empty(run.OpenIndices());
    }

    [Theory]
    [InlineData(9)]
    [InlineData(13)]
    public void A_notice_outside_the_deal_changes_nothing(long index)
    {
        var run = DealRun.Start(botFirst: 10, botSize: 3);
        Assert.Equal(DealNotice.Ignored, run.TaskFinal(index, completed: true, reopens: 0));
        Assert.Equal(3, run.OpenIndices().Count);
    }

    [Fact]
    public void Progress_survives_a_reload_from_its_bits()
    {
        var run = DealRun.Start(botFirst: 0, botSize: 20);
        run.TaskFinal(3, true, 0);
        run.TaskFinal(17, false, 2);
        var reloaded = new DealRun(0, 20, run.FinalBits, run.Completed, run.Failed, run.Reopens, run.Finished);
        Assert.True(reloaded.IsFinal(17));
        Assert.Equal(DealNotice.Ignored, reloaded.TaskFinal(3, true, 0));
        Assert.Equal([0L, 1L], reloaded.OpenIndices(max: 2));
        Assert.Throws<ArgumentException>(() => new DealRun(0, 20, new byte[2], 0, 0, 0, false));
    }

    [Fact]
    public void A_deal_is_cancelled_once_keeps_its_first_reason_and_reloads_cancelled()
    {
        var run = DealRun.Start(botFirst: 0, botSize: 3);
        run.TaskFinal(1, true, 0);
        Assert.Equal(DealCancellation.Cancelled, run.Cancel("vanished"));
        Assert.Equal(DealCancellation.AlreadyCancelled, run.Cancel("again"));
        Assert.Equal("vanished", run.CancelReason);
        Assert.Equal([0L, 2L], run.OpenIndices()); // the tasks still to be told
        var reloaded = new DealRun(0, 3, run.FinalBits, run.Completed, run.Failed, run.Reopens, run.Finished, run.CancelReason);
        Assert.True(reloaded.Cancelled);
        Assert.Throws<ArgumentException>(() => DealRun.Start(0, 1).Cancel(""));
    }

    [Fact]
    public void A_finished_deal_is_not_cancelled()
    {
        var run = DealRun.Start(botFirst: 0, botSize: 1);
        run.TaskFinal(0, true, 0);
        Assert.Equal(DealCancellation.AlreadyFinished, run.Cancel("vanished"));
        Assert.False(run.Cancelled);
    }
}
