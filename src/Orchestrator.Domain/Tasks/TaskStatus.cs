namespace Orchestrator.Domain.Tasks;

/// <summary>
/// A task's status, the chain's five (PoCo's UNSET → ACTIVE → REVEALING → COMPLETED, or FAILED).
/// Where a task is stuck inside ACTIVE is told by its replicates' statuses, which are finer.
/// </summary>
public enum TaskStatus
{
    /// <summary>Exists implicitly from the deal's arrival; nothing handed out yet.</summary>
    Unset = 0,

    /// <summary>Replicates handed out, contributions being collected.</summary>
    Active = 1,

    /// <summary>Consensus reached; the winners reveal until the reveal deadline.</summary>
    Revealing = 2,

    /// <summary>Finalized: result known, rewards settled.</summary>
    Completed = 3,

    /// <summary>Final deadline passed without completion: the requester is refunded.</summary>
    Failed = 4,
}

/// <summary>One worker's copy of a task (PoCo's contribution, plus the scheduler-side states before and around it).</summary>
public enum ReplicateStatus
{
    /// <summary>Handed to a worker, not yet contributed.</summary>
    Assigned = 0,

    /// <summary>The worker contributed a result hash.</summary>
    Contributed = 1,

    /// <summary>The worker revealed a digest matching the winning hash (PoCo PROVED).</summary>
    Revealed = 2,

    /// <summary>The contribution lost the vote or its reveal never came (PoCo REJECTED).</summary>
    Rejected = 3,

    /// <summary>The worker disappeared before contributing; the replicate goes back to the queue.</summary>
    WorkerLost = 4,

    /// <summary>The worker gave the replicate back (drain, or it could not run it) before contributing.</summary>
    Abandoned = 5,

    /// <summary>The worker held it past one timeref without contributing; another replicate was handed out.</summary>
    TimedOut = 6,
}

/// <summary>Terminal-state helpers.</summary>
public static class StatusExtensions
{
    /// <summary>COMPLETED or FAILED.</summary>
    public static bool IsFinal(this TaskStatus status) => status is TaskStatus.Completed or TaskStatus.Failed;

    /// <summary>The replicate no longer counts as pending work.</summary>
    public static bool IsClosedBeforeContribution(this ReplicateStatus status)
        => status is ReplicateStatus.WorkerLost or ReplicateStatus.Abandoned or ReplicateStatus.TimedOut;
}
