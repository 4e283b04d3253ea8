using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Domain.Tests.Workers;

public sealed class WorkerRunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly Address Worker = new(Enumerable.Repeat((byte)7, 20).ToArray());

    [Fact]
    public void A_session_makes_the_worker_active_and_gives_back_what_it_still_runs()
    {
        var (running, contributed) = (TestKit.RandomHash(), TestKit.RandomHash());
        var run = Loaded(WorkerState.Lost, (running, HeldPhase.Running), (contributed, HeldPhase.Contributed));

        var resumed = run.StartSession("s2", TestKit.Start);

        Assert.Equal(WorkerState.Active, run.State);
        Assert.Equal([running], resumed);
        Assert.True(run.IsCurrentSession("s2"));
        Assert.False(run.IsCurrentSession("s1"));
    }

    [Fact]
    public void Only_the_current_session_keeps_the_worker_alive()
    {
        var run = Active();
        Assert.False(run.Beat("old", TestKit.Start.AddSeconds(20)));
        Assert.Null(run.DeclareLostIfSilent(TestKit.Start.AddSeconds(29), Timeout));
        Assert.True(run.Beat("s1", TestKit.Start.AddSeconds(20)));
        Assert.Null(run.DeclareLostIfSilent(TestKit.Start.AddSeconds(49), Timeout));
    }

    [Fact]
    public void The_liveness_check_is_due_exactly_when_silence_reaches_the_timeout()
    {
        var run = Active();
        Assert.Equal(Timeout, run.UntilSilent(TestKit.Start, Timeout));
        Assert.True(run.Beat("s1", TestKit.Start.AddSeconds(10)));
        var due = run.UntilSilent(TestKit.Start.AddSeconds(12), Timeout)!.Value;
        Assert.Equal(Timeout - TimeSpan.FromSeconds(2), due);
        Assert.Null(run.DeclareLostIfSilent(TestKit.Start.AddSeconds(12) + due - TimeSpan.FromTicks(1), Timeout)); // not a tick early
        Assert.Equal(TimeSpan.Zero, run.UntilSilent(TestKit.Start.AddSeconds(12) + due + TimeSpan.FromSeconds(5), Timeout)); // overdue: now
        Assert.NotNull(run.DeclareLostIfSilent(TestKit.Start.AddSeconds(12) + due, Timeout));
        Assert.Null(run.UntilSilent(TestKit.Start.AddSeconds(50), Timeout)); // lost: nothing left to check
    }

    [Fact]
    public void A_silent_worker_is_lost_and_gives_back_only_what_it_runs()
    {
        var (running, contributed) = (TestKit.RandomHash(), TestKit.RandomHash());
        var run = Active((running, HeldPhase.Running), (contributed, HeldPhase.Contributed));

        var released = run.DeclareLostIfSilent(TestKit.Start + Timeout, Timeout);

        Assert.Equal([running], released);
        Assert.Equal(WorkerState.Lost, run.State);
        Assert.Equal(string.Empty, run.SessionId);
        Assert.Equal(1, run.LostCount);
        Assert.True(run.Held.ContainsKey(contributed)); // its outcome is still to come
        Assert.Null(run.DeclareLostIfSilent(TestKit.Start + (Timeout * 3), Timeout)); // lost once
    }

    [Fact]
    public void A_reloaded_live_worker_gets_a_fresh_timeout_and_a_lost_or_revoked_one_keeps_its_last_sighting()
    {
        var seen = TestKit.Start.AddHours(-3);
        var later = TestKit.Start.AddHours(1);
        foreach (var state in new[] { WorkerState.Lost, WorkerState.Revoked, WorkerState.Unknown })
        {
            var gone = new WorkerRun(Worker, WorkerSnapshot.New with { State = state, LastSeen = state == WorkerState.Unknown ? null : seen }, later);
            Assert.Equal(state == WorkerState.Unknown ? null : seen, gone.LastHeartbeat);
            Assert.Null(gone.DeclareLostIfSilent(later.AddDays(1), Timeout)); // not live: nothing to lose
        }

        foreach (var state in new[] { WorkerState.Active, WorkerState.Draining })
        {
            var live = new WorkerRun(Worker, WorkerSnapshot.New with { State = state, SessionId = "s1", LastSeen = seen }, later);
            Assert.Equal(later, live.LastHeartbeat);
            Assert.Null(live.DeclareLostIfSilent(later + Timeout - TimeSpan.FromSeconds(1), Timeout));
            Assert.NotNull(live.DeclareLostIfSilent(later + Timeout, Timeout));
        }
    }

    [Fact]
    public void Room_is_bounded_by_free_slots_and_the_pool_limit_and_is_zero_unless_active()
    {
        var run = Active((TestKit.RandomHash(), HeldPhase.Running), (TestKit.RandomHash(), HeldPhase.Contributed));
        Assert.Equal(3, run.Room(freeSlots: 3, maxReplicatesPerWorker: 8));
        Assert.Equal(1, run.Room(freeSlots: 3, maxReplicatesPerWorker: 2)); // only running replicates count
        Assert.True(run.Drain());
        Assert.Equal(0, run.Room(freeSlots: 3, maxReplicatesPerWorker: 8));
        Assert.False(run.Drain());
    }

    [Fact]
    public void Revoking_ends_the_session_and_returns_the_running_replicates()
    {
        var running = TestKit.RandomHash();
        var run = Active((running, HeldPhase.Running));
        Assert.Equal([running], run.Revoke());
        Assert.Equal(WorkerState.Revoked, run.State);
        Assert.False(run.IsLive);
        Assert.Empty(run.Held);
    }

    [Theory]
    [InlineData(TaskRefusalCode.ConsensusAlreadyReached, true)]
    [InlineData(TaskRefusalCode.ContributionDeadlinePassed, false)]
    [InlineData(TaskRefusalCode.TaskFinal, false)]
    [InlineData(TaskRefusalCode.NotAssigned, false)]
    public void A_refusal_that_ends_the_part_frees_the_slot_at_once_and_says_why(TaskRefusalCode code, bool releaseAtTask)
    {
        var taskId = TestKit.RandomHash();
        var run = Active((taskId, HeldPhase.Running));

        var step = run.ContributionRefused(taskId, code, "closed");

        Assert.Empty(run.Held);
        Assert.Equal(1, run.Room(1, 1));
        Assert.Equal(WorkerWrite.Through, step.Write);
        Assert.Contains(code.ToString(), step.Cancel, StringComparison.Ordinal);
        Assert.Contains("closed", step.Cancel, StringComparison.Ordinal);
        Assert.Equal(releaseAtTask, step.ReleaseAtTask);
    }

    [Theory]
    [InlineData(TaskRefusalCode.InvalidSignature)]
    [InlineData(TaskRefusalCode.WrongPath)]
    public void A_refusal_a_corrected_call_can_overcome_keeps_the_replicate(TaskRefusalCode code)
    {
        var taskId = TestKit.RandomHash();
        var run = Active((taskId, HeldPhase.Running));
        var step = run.ContributionRefused(taskId, code, "bad");
        Assert.Equal(HeldPhase.Running, run.Held[taskId]);
        Assert.Null(step.Cancel);
        Assert.Equal(WorkerWrite.None, step.Write);
        Assert.False(WorkerRun.EndsPart(code));
    }

    [Fact]
    public void Already_contributed_means_the_phase_was_lost_and_the_outcome_must_still_find_the_holding()
    {
        var taskId = TestKit.RandomHash();
        var run = Active((taskId, HeldPhase.Running));
        var step = run.ContributionRefused(taskId, TaskRefusalCode.AlreadyContributed, "twice");
        Assert.Null(step.Cancel);
        Assert.Equal(HeldPhase.Contributed, run.Held[taskId]);
        Assert.True(run.Apply(new TaskOutcome(taskId, OutcomeVerdict.Won, 2, "won")).Applied);
        Assert.Equal(1, run.Score);
    }

    [Fact]
    public void Outcomes_follow_poco_a_win_among_several_adds_one_a_loss_keeps_two_thirds()
    {
        var (a, b, c, d) = (TestKit.RandomHash(), TestKit.RandomHash(), TestKit.RandomHash(), TestKit.RandomHash());
        var run = Loaded(WorkerState.Active, 13, (a, HeldPhase.Revealed), (b, HeldPhase.Revealed), (c, HeldPhase.Contributed), (d, HeldPhase.Running));

        Assert.Null(run.Apply(new TaskOutcome(a, OutcomeVerdict.Won, 3, "won")).Cancel);
        Assert.Equal(14, run.Score);
        run.Apply(new TaskOutcome(b, OutcomeVerdict.Won, 1, "won"));
        Assert.Equal(14, run.Score); // alone: no point
        var lost = run.Apply(new TaskOutcome(c, OutcomeVerdict.Lost, 3, "lost the vote"));
        Assert.Equal(9, run.Score);
        Assert.Equal("lost the vote", lost.Cancel);
        Assert.Equal(WorkerWrite.Through, lost.Write);
        var failed = run.Apply(new TaskOutcome(d, OutcomeVerdict.Unjudged, 0, "task failed at its final deadline"));
        Assert.Equal(9, run.Score);
        Assert.Equal(WorkerWrite.Behind, failed.Write);
        Assert.Equal((2, 1), (run.Wins, run.Losses));
    }

    [Fact]
    public void A_tee_fast_path_contribution_completes_the_holding_and_its_outcome_is_then_ignored()
    {
        var taskId = TestKit.RandomHash();
        var run = Active((taskId, HeldPhase.Running));
        Assert.Equal(WorkerWrite.Behind, run.ContributedAndFinalized(taskId));
        Assert.False(run.Apply(new TaskOutcome(taskId, OutcomeVerdict.Won, 1, "won")).Applied);
        Assert.Equal((1, 1, 0), (run.Contributions, run.Wins, run.Score));
    }

    [Fact]
    public void A_holding_check_releases_what_the_worker_does_not_hold_with_the_right_reason()
    {
        var taskId = TestKit.RandomHash();
        var run = Active((taskId, HeldPhase.Running));
        Assert.Null(run.ReleaseIfNotHeld(taskId));
        Assert.Equal(ReplicateStatus.Abandoned, run.ReleaseIfNotHeld(TestKit.RandomHash()));
        run.DeclareLostIfSilent(TestKit.Start + Timeout, Timeout);
        Assert.Equal(ReplicateStatus.WorkerLost, run.ReleaseIfNotHeld(taskId));
    }

    [Fact]
    public void A_given_back_replicate_goes_only_while_it_runs()
    {
        var (running, contributed) = (TestKit.RandomHash(), TestKit.RandomHash());
        var run = Active((running, HeldPhase.Running), (contributed, HeldPhase.Contributed));
        Assert.Equal(WorkerWrite.Behind, run.GaveBack(running));
        Assert.Equal(WorkerWrite.None, run.GaveBack(contributed));
        Assert.Equal([contributed], run.Held.Keys);
    }

    [Fact]
    public void Admission_checks_capabilities_tee_kind_and_the_one_simulation_rule()
    {
        var strict = new AdmissionPolicy([TeeKind.None, TeeKind.Sgx], AllowSimulatedTee: false);
        var sgx = new WorkerCapabilities(TeeKind.Sgx, 4, 8192, false, 2, []);
        Assert.Empty(WorkerAdmission.Check(sgx, simulatedTee: false, strict));
        Assert.Equal(["the pool does not allow simulated TEE"], WorkerAdmission.Check(sgx, simulatedTee: true, strict));
        Assert.Empty(WorkerAdmission.Check(sgx, simulatedTee: true, strict with { AllowSimulatedTee = true }));
        Assert.False(strict.AdmitsSimulated); // what dispatch and secret release ask of the pool's current policy
        Assert.True((strict with { AllowSimulatedTee = true }).AdmitsSimulated);
        var errors = WorkerAdmission.Check(sgx with { Tee = TeeKind.Tdx, Slots = 0 }, simulatedTee: false, strict);
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("Tdx", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("slots", StringComparison.Ordinal));
    }

    private static WorkerRun Active(params (Hash32 Task, HeldPhase Phase)[] held) => Loaded(WorkerState.Active, 0, held);

    private static WorkerRun Loaded(WorkerState state, params (Hash32 Task, HeldPhase Phase)[] held) => Loaded(state, 0, held);

    private static WorkerRun Loaded(WorkerState state, int score, params (Hash32 Task, HeldPhase Phase)[] held)
        => new(Worker, WorkerSnapshot.New with { State = state, SessionId = "s1", Score = score, Held = held.ToDictionary(h => h.Task, h => h.Phase) }, TestKit.Start);
}
