namespace Orchestrator.Domain.Tasks;

/// <summary>An attempt to move a task or replicate along an edge the protocol does not have.</summary>
public sealed class InvalidTransitionException(string kind, string from, string to)
    : InvalidOperationException($"illegal {kind} transition from {from} to {to}")
{
    /// <summary>"task" or "replicate".</summary>
    public string Kind { get; } = kind;

    /// <summary>The current state.</summary>
    public string From { get; } = from;

    /// <summary>The requested state.</summary>
    public string To { get; } = to;
}

/// <summary>The legal edges of the task and replicate state machines, and nothing else.</summary>
public static class StateMachine
{
    private static readonly HashSet<(TaskStatus, TaskStatus)> TaskEdges =
    [
        (TaskStatus.Unset, TaskStatus.Active),
        (TaskStatus.Unset, TaskStatus.Failed),         // claimed without ever being handed out
        (TaskStatus.Active, TaskStatus.Revealing),     // consensus
        (TaskStatus.Active, TaskStatus.Completed),     // TEE fast path: contribute-and-finalize
        (TaskStatus.Active, TaskStatus.Failed),        // final deadline
        (TaskStatus.Revealing, TaskStatus.Completed),  // finalize
        (TaskStatus.Revealing, TaskStatus.Active),     // reopen: reveal deadline passed with no reveal
        (TaskStatus.Revealing, TaskStatus.Failed),     // final deadline
    ];

    private static readonly HashSet<(ReplicateStatus, ReplicateStatus)> ReplicateEdges =
    [
        (ReplicateStatus.Assigned, ReplicateStatus.Contributed),
        (ReplicateStatus.Assigned, ReplicateStatus.WorkerLost),
        (ReplicateStatus.Assigned, ReplicateStatus.Abandoned),
        (ReplicateStatus.Assigned, ReplicateStatus.TimedOut),
        (ReplicateStatus.TimedOut, ReplicateStatus.Contributed),   // a slow worker may still contribute before the deadline
        (ReplicateStatus.Contributed, ReplicateStatus.Revealed),
        (ReplicateStatus.Contributed, ReplicateStatus.Rejected),
    ];

    /// <summary>True when the protocol has the edge.</summary>
    public static bool IsLegal(TaskStatus from, TaskStatus to) => TaskEdges.Contains((from, to));

    /// <summary>True when the protocol has the edge.</summary>
    public static bool IsLegal(ReplicateStatus from, ReplicateStatus to) => ReplicateEdges.Contains((from, to));

    /// <summary>Returns <paramref name="to"/> or throws naming both states.</summary>
    public static TaskStatus Move(TaskStatus from, TaskStatus to)
        => IsLegal(from, to) ? to : throw new InvalidTransitionException("task", from.ToString(), to.ToString());

    /// <summary>Returns <paramref name="to"/> or throws naming both states.</summary>
    public static ReplicateStatus Move(ReplicateStatus from, ReplicateStatus to)
        => IsLegal(from, to) ? to : throw new InvalidTransitionException("replicate", from.ToString(), to.ToString());

    /// <summary>Every legal task edge (for documentation and exhaustive tests).</summary>
    public static IReadOnlyCollection<(TaskStatus From, TaskStatus To)> TaskTransitions => TaskEdges;

    /// <summary>Every legal replicate edge.</summary>
    public static IReadOnlyCollection<(ReplicateStatus From, ReplicateStatus To)> ReplicateTransitions => ReplicateEdges;
}
