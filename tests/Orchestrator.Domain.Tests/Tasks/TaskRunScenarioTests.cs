using System.Numerics;
using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

/// <summary>A task's whole life through <see cref="TaskRun"/>, with real keys and signatures.</summary>
public sealed class TaskRunScenarioTests
{
    private static readonly DateTimeOffset T0 = TestKit.Start;
    private static readonly TimeSpan Timeref = Category.XS.Timeref;
    private static readonly BigInteger Price = BigInteger.Pow(10, 18);
    private static readonly Hash32 Good = TestKit.SmallHash(0x60);
    private static readonly Hash32 Bad = TestKit.SmallHash(0x66);

    private static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    private static void Accepted(TaskStep step)
    {
        Assert.True(step.Accepted, step.Refusal?.ToString());
        Assert.Null(step.Refusal);
    }

    [Fact]
    public void TrustThreeTwoAgreeingFreshWorkersRevealAndComplete()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        var c = new TestWorker();

        Assert.Equal(TaskStatus.Unset, task.Status);
        Assert.True(task.NeedsMoreReplicas(At(1)));
        Assert.Equal(2, task.ReplicasToRequest(At(1)));

        Accepted(task.Assign(a.Address, Credibility.Weight(0), At(1)));
        Assert.Equal(TaskStatus.Active, task.Status);
        Assert.Equal(1, task.ReplicasToRequest(At(1)));
        Accepted(task.Assign(b.Address, Credibility.Weight(0), At(2)));
        Assert.Equal(0, task.ReplicasToRequest(At(2)));
        Assert.Equal(TaskRefusalCode.NotNeeded, task.Assign(c.Address, 2, At(3)).Refusal!.Code);
        Assert.Equal(TaskRefusalCode.AlreadyHoldsReplicate, task.Assign(a.Address, 2, At(3)).Refusal!.Code);
        Assert.Equal([a.Address, b.Address], task.Holders);

        var first = a.Contribute(task, Good, At(10));
        Accepted(first);
        Assert.True(first.Changed);
        Assert.Empty(first.Effects);
        Assert.Equal(TaskStatus.Active, task.Status);
        Assert.Equal(ReplicateStatus.Contributed, task.Replicates[0].Status);

        var second = b.Contribute(task, Good, At(20));
        Accepted(second);
        var reached = Assert.IsType<ConsensusReached>(Assert.Single(second.Effects));
        var hash = Orchestrator.Domain.Ids.ProtocolIds.ResultHash(task.TaskId, Good);
        Assert.Equal(hash, reached.ResultHash);
        Assert.Equal([a.Address, b.Address], reached.Winners);
        Assert.Equal(At(20) + (2 * Timeref), reached.RevealDeadline);
        Assert.Equal(TaskStatus.Revealing, task.Status);
        Assert.Equal(hash, task.ConsensusHash);
        Assert.Equal(At(20) + (2 * Timeref), task.RevealDeadline);
        Assert.False(task.NeedsMoreReplicas(At(21)));
        Assert.Equal(At(20) + (2 * Timeref), task.NextWakeUp());

        var revealA = task.Reveal(a.Address, Good, At(30));
        Accepted(revealA);
        Assert.Empty(revealA.Effects);
        Assert.Equal(TaskStatus.Revealing, task.Status);
        Assert.Equal(ReplicateStatus.Revealed, task.Replicates[0].Status);
        Assert.Equal(TaskRefusalCode.AlreadyRevealed, task.Reveal(a.Address, Good, At(31)).Refusal!.Code);

        var revealB = task.Reveal(b.Address, Good, At(40));
        Accepted(revealB);
        var completed = Assert.IsType<TaskCompleted>(Assert.Single(revealB.Effects));
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.Equal(Good, completed.ResultDigest);
        Assert.Equal(Good, task.ResultDigest);
        Assert.Equal(At(40), task.FinishedAt);
        Assert.Null(task.RevealDeadline);
        Assert.Null(task.NextWakeUp());
        Assert.Equal(2, completed.Contributions.Count);

        var settlement = completed.Settlement;
        Assert.Equal(2, settlement.Workers.Count);
        Assert.All(settlement.Workers, w =>
        {
            Assert.True(w.Won);
            Assert.Equal(Price * 99 / 100 / 2, w.Reward);
            Assert.Equal(BigInteger.Zero, w.StakeSeized);
            Assert.Equal(0, w.ScoreBefore);
            Assert.Equal(1, ScoreAfter(task, completed, w));
        });
        Assert.Equal(Price / 100, settlement.SchedulerReward);

        // Final: everything else is refused, time changes nothing.
        Assert.Equal(TaskRefusalCode.TaskFinal, task.Reveal(b.Address, Good, At(41)).Refusal!.Code);
        Assert.Equal(TaskRefusalCode.TaskFinal, c.Contribute(task, Good, At(41)).Refusal!.Code);
        Assert.Equal(TaskRefusalCode.TaskFinal, task.Assign(c.Address, 2, At(41)).Refusal!.Code);
        var late = task.Advance(task.Terms.FinalDeadline.AddDays(1));
        Assert.False(late.Changed);
        Assert.Equal(TaskStatus.Completed, task.Status);
    }

    [Fact]
    public void AFaultyContributorIsOutvotedRejectedAndPenalised()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var faulty = new TestWorker(score: 6);
        var c = new TestWorker();
        var d = new TestWorker();

        Accepted(task.Assign(a.Address, 2, At(1)));
        Accepted(task.Assign(faulty.Address, 2, At(1)));
        Accepted(a.Contribute(task, Good, At(10)));
        Accepted(faulty.Contribute(task, Bad, At(11)));
        Assert.Equal(TaskStatus.Active, task.Status);

        // 2 vs 2 out of 5: two more agreeing fresh replicas are needed (8·3 = 24 > 11·2 = 22).
        Assert.True(task.NeedsMoreReplicas(At(12)));
        Assert.Equal(2, task.ReplicasToRequest(At(12)));
        Accepted(task.Assign(c.Address, 2, At(12)));
        Accepted(task.Assign(d.Address, 2, At(12)));

        Accepted(c.Contribute(task, Good, At(20)));
        Assert.Equal(TaskStatus.Active, task.Status); // 4·3 = 12 is not > 7·2 = 14
        var step = d.Contribute(task, Good, At(21));
        var reached = Assert.IsType<ConsensusReached>(Assert.Single(step.Effects));
        Assert.Equal([a.Address, c.Address, d.Address], reached.Winners);

        Assert.Equal(TaskRefusalCode.AlreadyContributed, faulty.Contribute(task, Good, At(22)).Refusal!.Code);
        Assert.Equal(TaskRefusalCode.NotAWinner, task.Reveal(faulty.Address, Bad, At(22)).Refusal!.Code);

        Accepted(task.Reveal(a.Address, Good, At(30)));
        Accepted(task.Reveal(c.Address, Good, At(31)));
        var done = task.Reveal(d.Address, Good, At(32));
        var completed = Assert.IsType<TaskCompleted>(Assert.Single(done.Effects));
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.Equal(ReplicateStatus.Rejected, task.Replicates[1].Status);

        var loser = Assert.Single(completed.Settlement.Workers, w => w.Worker == faulty.Address);
        Assert.False(loser.Won);
        Assert.Equal(BigInteger.Zero, loser.Reward);
        Assert.Equal(Price * 30 / 100, loser.StakeSeized);
        Assert.Equal(6, loser.ScoreBefore);
        Assert.Equal(4, ScoreAfter(task, completed, loser));

        var winners = completed.Settlement.Workers.Where(w => w.Won).ToList();
        Assert.Equal(3, winners.Count);
        // PoCo: the seized stake joins the price before the workers' 99 % is taken.
        Assert.All(winners, w => Assert.Equal((Price + (Price * 30 / 100)) * 99 / 100 / 3, w.Reward));
        Assert.All(winners, w => Assert.Equal(1, ScoreAfter(task, completed, w)));
        Assert.Equal(Price + (Price * 30 / 100), winners.Aggregate(BigInteger.Zero, (s, w) => s + w.Reward) + completed.Settlement.SchedulerReward);
    }

    [Fact]
    public void RevealDeadlineWithoutAnyRevealReopensTheTask()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        Accepted(task.Assign(a.Address, 2, At(1)));
        Accepted(task.Assign(b.Address, 2, At(1)));
        Accepted(a.Contribute(task, Good, At(10)));
        Accepted(b.Contribute(task, Good, At(20)));
        var deadline = task.RevealDeadline!.Value;
        var hash = task.ConsensusHash!.Value;

        Assert.False(task.Advance(deadline.AddSeconds(-1)).Changed);
        Assert.Equal(TaskStatus.Revealing, task.Status);

        var step = task.Advance(deadline);
        Accepted(step);
        var reopened = Assert.IsType<TaskReopened>(Assert.Single(step.Effects));
        Assert.Equal(hash, reopened.RejectedHash);
        Assert.Equal([a.Address, b.Address], reopened.Rejected);
        Assert.Equal(TaskStatus.Active, task.Status);
        Assert.Null(task.ConsensusHash);
        Assert.Null(task.RevealDeadline);
        Assert.Equal(1, task.Reopens);
        Assert.All(task.Replicates, r => Assert.Equal(ReplicateStatus.Rejected, r.Status));
        Assert.Equal(BigInteger.Zero, task.Tally.GroupOf(hash));
        Assert.Equal(BigInteger.One, task.Tally.Total);

        // The rejected winners cannot come back; fresh workers finish the job.
        Assert.Equal(TaskRefusalCode.AlreadyContributed, a.Contribute(task, Good, deadline.AddSeconds(1)).Refusal!.Code);
        Assert.Equal(TaskRefusalCode.AlreadyHoldsReplicate, task.Assign(a.Address, 2, deadline.AddSeconds(1)).Refusal!.Code);
        Assert.Equal(2, task.ReplicasToRequest(deadline.AddSeconds(1)));
        var c = new TestWorker();
        var d = new TestWorker();
        Accepted(task.Assign(c.Address, 2, deadline.AddSeconds(1)));
        Accepted(task.Assign(d.Address, 2, deadline.AddSeconds(1)));
        Accepted(c.Contribute(task, Good, deadline.AddSeconds(2)));
        Assert.IsType<ConsensusReached>(Assert.Single(d.Contribute(task, Good, deadline.AddSeconds(3)).Effects));
        Accepted(task.Reveal(c.Address, Good, deadline.AddSeconds(4)));
        var completed = Assert.IsType<TaskCompleted>(Assert.Single(task.Reveal(d.Address, Good, deadline.AddSeconds(5)).Effects));

        Assert.Equal(4, completed.Settlement.Workers.Count);
        Assert.All(completed.Settlement.Workers.Where(w => w.Worker == a.Address || w.Worker == b.Address), w =>
        {
            Assert.False(w.Won);
            Assert.Equal(Price * 30 / 100, w.StakeSeized);
        });
        Assert.Equal(2, completed.Settlement.Workers.Count(w => w.Won));
    }

    [Fact]
    public void RevealDeadlineWithOneRevealFinalizesAndTheSilentWinnerLoses()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker(score: 9);
        var b = new TestWorker(score: 9);
        Accepted(task.Assign(a.Address, 2, At(1)));
        Accepted(task.Assign(b.Address, 2, At(1)));
        Accepted(a.Contribute(task, Good, At(10)));
        Accepted(b.Contribute(task, Good, At(20)));
        Accepted(task.Reveal(a.Address, Good, At(30)));

        var step = task.Advance(task.RevealDeadline!.Value);
        var completed = Assert.IsType<TaskCompleted>(Assert.Single(step.Effects));
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.Equal(Good, completed.ResultDigest);
        Assert.Equal(ReplicateStatus.Revealed, task.Replicates[0].Status);
        Assert.Equal(ReplicateStatus.Rejected, task.Replicates[1].Status);

        var winner = completed.Settlement.Workers.Single(w => w.Worker == a.Address);
        var silent = completed.Settlement.Workers.Single(w => w.Worker == b.Address);
        Assert.True(winner.Won);
        Assert.Equal((Price + (Price * 30 / 100)) * 99 / 100, winner.Reward); // the silent winner's seized stake joins the reward
        Assert.Equal(10, ScoreAfter(task, completed, winner));
        Assert.False(silent.Won);
        Assert.Equal(Price * 30 / 100, silent.StakeSeized);
        Assert.Equal(6, ScoreAfter(task, completed, silent));
    }

    [Fact]
    public void FinalDeadlineFailsAnUnsetTask()
    {
        var task = TestKit.NewTask(3);
        Assert.Equal(task.Terms.FinalDeadline, task.NextWakeUp());
        Assert.False(task.Advance(task.Terms.FinalDeadline.AddTicks(-1)).Changed);
        var step = task.Advance(task.Terms.FinalDeadline);
        Assert.IsType<TaskFailed>(Assert.Single(step.Effects));
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal(task.Terms.FinalDeadline, task.FinishedAt);
        Assert.False(task.Advance(task.Terms.FinalDeadline.AddDays(1)).Changed);
    }

    [Fact]
    public void FinalDeadlineFailsAnActiveTaskAndPunishesNobody()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        Accepted(task.Assign(a.Address, 2, At(1)));
        Accepted(a.Contribute(task, Good, At(2)));
        var step = task.Advance(task.Terms.FinalDeadline.AddSeconds(5));
        var failed = Assert.IsType<TaskFailed>(Assert.Single(step.Effects));
        Assert.Contains("Active", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal(ReplicateStatus.Contributed, task.Replicates[0].Status);
    }

    [Fact]
    public void FinalDeadlineFailsARevealingTask()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        var late = task.Terms.ContributionDeadline.AddSeconds(-10);
        Accepted(task.Assign(a.Address, 2, late));
        Accepted(task.Assign(b.Address, 2, late));
        Accepted(a.Contribute(task, Good, late.AddSeconds(1)));
        Accepted(b.Contribute(task, Good, late.AddSeconds(2)));
        Accepted(task.Reveal(a.Address, Good, late.AddSeconds(3)));
        Assert.Equal(TaskStatus.Revealing, task.Status);

        var step = task.Advance(task.Terms.FinalDeadline);
        var failed = Assert.IsType<TaskFailed>(Assert.Single(step.Effects));
        Assert.Contains("Revealing", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Null(task.NextWakeUp());
        Assert.Equal(TaskRefusalCode.TaskFinal, task.Reveal(b.Address, Good, task.Terms.FinalDeadline).Refusal!.Code);
    }

    [Fact]
    public void ReplicasHeldPastOneTimerefTimeOutAndMoreAreRequested()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        Accepted(task.Assign(a.Address, 2, At(0)));
        Accepted(task.Assign(b.Address, 2, At(0)));
        Assert.Equal(0, task.ReplicasToRequest(At(0) + Timeref - TimeSpan.FromSeconds(1)));
        Assert.Equal(At(0) + Timeref, task.NextWakeUp());

        // Even before Advance runs, replicas past one timeref no longer count as pending.
        Assert.Equal(2, task.ReplicasToRequest(At(0) + Timeref));

        var step = task.Advance(At(0) + Timeref);
        Assert.True(step.Changed);
        Assert.All(task.Replicates, r => Assert.Equal(ReplicateStatus.TimedOut, r.Status));
        Assert.True(task.NeedsMoreReplicas(At(0) + Timeref));
        Assert.Equal(2, task.ReplicasToRequest(At(0) + Timeref));

        var c = new TestWorker();
        var d = new TestWorker();
        Accepted(task.Assign(c.Address, 2, At(0) + Timeref));
        Accepted(task.Assign(d.Address, 2, At(0) + Timeref));
        Assert.Equal(0, task.ReplicasToRequest(At(0) + Timeref));

        // A slow worker may still contribute before the contribution deadline, and counts.
        Accepted(a.Contribute(task, Good, At(400)));
        Assert.Equal(ReplicateStatus.Contributed, task.Replicates[0].Status);
        Assert.IsType<ConsensusReached>(Assert.Single(c.Contribute(task, Good, At(401)).Effects));
    }

    [Fact]
    public void ALostWorkerFreesItsPlaceAndAnotherReplicaIsNeeded()
    {
        var task = TestKit.NewTask(1);
        var a = new TestWorker();
        Assert.Equal(1, task.ReplicasToRequest(At(0)));
        Accepted(task.Assign(a.Address, 2, At(0)));
        Assert.Equal(0, task.ReplicasToRequest(At(1)));
        var step = task.Release(a.Address, ReplicateStatus.WorkerLost, At(2));
        var released = Assert.IsType<ReplicateReleased>(Assert.Single(step.Effects));
        Assert.Equal(a.Address, released.Worker);
        Assert.Equal(ReplicateStatus.WorkerLost, task.Replicates[0].Status);
        Assert.Equal(1, task.ReplicasToRequest(At(2)));
        Assert.Equal(TaskRefusalCode.NotAssigned, a.Contribute(task, Good, At(3)).Refusal!.Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => task.Release(a.Address, ReplicateStatus.Rejected, At(3)));
    }

    [Fact]
    public void TrustOneCompletesWithASingleContributorWhoseScoreDoesNotMove()
    {
        var task = TestKit.NewTask(0);
        var a = new TestWorker(score: 4);
        Accepted(task.Assign(a.Address, 2, At(0)));
        Assert.IsType<ConsensusReached>(Assert.Single(a.Contribute(task, Good, At(1)).Effects));
        var completed = Assert.IsType<TaskCompleted>(Assert.Single(task.Reveal(a.Address, Good, At(2)).Effects));
        var only = Assert.Single(completed.Settlement.Workers);
        Assert.Equal(4, ScoreAfter(task, completed, only));
        Assert.Equal(Price * 99 / 100, only.Reward);
    }

    [Fact]
    public void AfterAReopenARemainingGroupThatNowPassesIsNotLeftStranded()
    {
        // trust 3: H from a fresh worker (2), G from a score-12 worker (3), then H from a score-30
        // worker (9): H = 18 of total 22 wins (54 > 44). Nobody reveals: H is removed, total = 4,
        // and G = 3 now passes on its own (9 > 8). The task must not sit in ACTIVE with a passing
        // group, no replica to hand out and nobody to reveal until the final deadline fails it.
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var g = new TestWorker(score: 12);
        var heavy = new TestWorker(score: 30);
        Accepted(task.Assign(a.Address, 2, At(0)));
        Accepted(task.Assign(g.Address, 2, At(0)));
        Accepted(a.Contribute(task, Bad, At(1)));
        Accepted(g.Contribute(task, Good, At(2)));
        Accepted(task.Assign(heavy.Address, 2, At(3)));
        Assert.IsType<ConsensusReached>(Assert.Single(heavy.Contribute(task, Bad, At(4)).Effects));

        var step = task.Advance(task.RevealDeadline!.Value);
        Assert.Contains(step.Effects, e => e is TaskReopened);
        Assert.Equal(1, task.Reopens);
        var goodHash = Orchestrator.Domain.Ids.ProtocolIds.ResultHash(task.TaskId, Good);
        Assert.True(task.Tally.HasConsensus(goodHash));

        // Either the passing group is now revealing, or the task still asks for work: never stuck.
        var now = task.RevealDeadline ?? At(4) + (2 * Timeref);
        var progressing = task.Status == TaskStatus.Revealing || task.ReplicasToRequest(now) > 0;
        Assert.True(progressing, $"task is {task.Status} with a passing group and {task.ReplicasToRequest(now)} replicas to request");

        if (task.Status == TaskStatus.Revealing)
        {
            Assert.Equal(goodHash, task.ConsensusHash);
            var reached = Assert.Single(step.Effects.OfType<ConsensusReached>());
            Assert.Equal([g.Address], reached.Winners);
            var completed = Assert.IsType<TaskCompleted>(Assert.Single(task.Reveal(g.Address, Good, task.RevealDeadline!.Value.AddSeconds(-1)).Effects));
            Assert.Equal(Good, completed.ResultDigest);
            Assert.Equal(2, completed.Settlement.Workers.Count(w => !w.Won));
        }
    }

    /// <summary>The score the worker reaches by applying this task's outcome to the score it contributed with.</summary>
    private static int ScoreAfter(TaskRun task, TaskCompleted completed, WorkerSettlement worker)
        => TaskOutcomes.Of(task, completed, worker).Apply(worker.ScoreBefore);
}
