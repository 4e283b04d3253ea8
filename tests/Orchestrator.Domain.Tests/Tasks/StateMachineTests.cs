using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

public sealed class StateMachineTests
{
    // PoCo: UNSET → ACTIVE → REVEALING → COMPLETED, or FAILED; reopen REVEALING → ACTIVE;
    // TEE fast path ACTIVE → COMPLETED; a task never handed out may fail at its final deadline.
    private static readonly HashSet<(TaskStatus, TaskStatus)> ExpectedTaskEdges =
    [
        (TaskStatus.Unset, TaskStatus.Active),
        (TaskStatus.Unset, TaskStatus.Failed),
        (TaskStatus.Active, TaskStatus.Revealing),
        (TaskStatus.Active, TaskStatus.Completed),
        (TaskStatus.Active, TaskStatus.Failed),
        (TaskStatus.Revealing, TaskStatus.Completed),
        (TaskStatus.Revealing, TaskStatus.Active),
        (TaskStatus.Revealing, TaskStatus.Failed),
    ];

    // Contribution UNSET → CONTRIBUTED → PROVED (Revealed) or REJECTED, plus the scheduler's
    // before-contribution endings (lost, abandoned, timed out; a timed-out one may still contribute).
    private static readonly HashSet<(ReplicateStatus, ReplicateStatus)> ExpectedReplicateEdges =
    [
        (ReplicateStatus.Assigned, ReplicateStatus.Contributed),
        (ReplicateStatus.Assigned, ReplicateStatus.WorkerLost),
        (ReplicateStatus.Assigned, ReplicateStatus.Abandoned),
        (ReplicateStatus.Assigned, ReplicateStatus.TimedOut),
        (ReplicateStatus.TimedOut, ReplicateStatus.Contributed),
        (ReplicateStatus.Contributed, ReplicateStatus.Revealed),
        (ReplicateStatus.Contributed, ReplicateStatus.Rejected),
    ];

    public static TheoryData<TaskStatus, TaskStatus> AllTaskPairs()
    {
        var data = new TheoryData<TaskStatus, TaskStatus>();
        foreach (var from in Enum.GetValues<TaskStatus>())
        {
            foreach (var to in Enum.GetValues<TaskStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    public static TheoryData<ReplicateStatus, ReplicateStatus> AllReplicatePairs()
    {
        var data = new TheoryData<ReplicateStatus, ReplicateStatus>();
        foreach (var from in Enum.GetValues<ReplicateStatus>())
        {
            foreach (var to in Enum.GetValues<ReplicateStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllTaskPairs))]
    public void TaskTransitionIsLegalIffDocumented(TaskStatus from, TaskStatus to)
    {
        var expected = ExpectedTaskEdges.Contains((from, to));
        Assert.Equal(expected, StateMachine.IsLegal(from, to));
        if (expected)
        {
            Assert.Equal(to, StateMachine.Move(from, to));
        }
        else
        {
            var error = Assert.Throws<InvalidTransitionException>(() => StateMachine.Move(from, to));
            Assert.Equal("task", error.Kind);
            Assert.Equal(from.ToString(), error.From);
            Assert.Equal(to.ToString(), error.To);
            Assert.Contains($"from {from} to {to}", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AllReplicatePairs))]
    public void ReplicateTransitionIsLegalIffDocumented(ReplicateStatus from, ReplicateStatus to)
    {
        var expected = ExpectedReplicateEdges.Contains((from, to));
        Assert.Equal(expected, StateMachine.IsLegal(from, to));
        var replicate = new Replicate { Worker = Orchestrator.Domain.Crypto.Address.Zero, Status = from };
        if (expected)
        {
            Assert.Equal(to, StateMachine.Move(from, to));
            replicate.MoveTo(to);
            Assert.Equal(to, replicate.Status);
        }
        else
        {
            var error = Assert.Throws<InvalidTransitionException>(() => StateMachine.Move(from, to));
            Assert.Equal("replicate", error.Kind);
            Assert.Contains(from.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains(to.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains($"from {from} to {to}", error.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidTransitionException>(() => replicate.MoveTo(to));
            Assert.Equal(from, replicate.Status);
        }
    }

    [Fact]
    public void PublishedEdgeListsAreExactlyTheDocumentedOnes()
    {
        Assert.True(ExpectedTaskEdges.SetEquals(StateMachine.TaskTransitions.Select(e => (e.From, e.To))));
        Assert.True(ExpectedReplicateEdges.SetEquals(StateMachine.ReplicateTransitions.Select(e => (e.From, e.To))));
    }

    [Fact]
    public void FinalStatesHaveNoWayOut()
    {
        foreach (var to in Enum.GetValues<TaskStatus>())
        {
            Assert.False(StateMachine.IsLegal(TaskStatus.Completed, to));
            Assert.False(StateMachine.IsLegal(TaskStatus.Failed, to));
        }

        Assert.True(TaskStatus.Completed.IsFinal());
        Assert.True(TaskStatus.Failed.IsFinal());
        Assert.False(TaskStatus.Unset.IsFinal());
        Assert.False(TaskStatus.Active.IsFinal());
        Assert.False(TaskStatus.Revealing.IsFinal());
    }
}
