using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Results;

/// <summary>Why an upload was refused. Each maps to one gRPC status; see <see cref="UploadRefusalCodes.IsPermission"/>.</summary>
public enum UploadRefusalCode
{
    /// <summary>The task is unknown to this pool (its deal never arrived).</summary>
    UnknownTask = 0,

    /// <summary>The worker never held a replicate of the task.</summary>
    NeverHeld = 1,

    /// <summary>The worker's contribution lost the vote, or it never revealed before the task finalized (PoCo REJECTED).</summary>
    NotAWinner,

    /// <summary>The worker never contributed (lost, abandoned or timed out before contributing).</summary>
    NeverContributed,

    /// <summary>The task has no consensus yet, so no result can be bound to it.</summary>
    NoConsensusYet,

    /// <summary>The worker is a winner that has not revealed yet; it uploads after its reveal is accepted.</summary>
    RevealFirst,

    /// <summary>The task FAILED (final deadline): it has no result.</summary>
    TaskFailed,

    /// <summary>The archive's result digest is not the task's consensus digest.</summary>
    NotTheConsensusDigest,
}

/// <summary>How refusal codes are reported.</summary>
public static class UploadRefusalCodes
{
    /// <summary>
    /// True when the refusal is about who the worker is (PERMISSION_DENIED); false when it is about
    /// the task's state or the archive offered (FAILED_PRECONDITION).
    /// </summary>
    public static bool IsPermission(this UploadRefusalCode code)
        => code is UploadRefusalCode.NeverHeld or UploadRefusalCode.NotAWinner or UploadRefusalCode.NeverContributed;
}

/// <summary>A refused upload: its code and a one-line message that names the rule.</summary>
/// <param name="Code">The machine-readable reason.</param>
/// <param name="Message">The human-readable reason.</param>
public sealed record UploadRefusal(UploadRefusalCode Code, string Message);

/// <summary>
/// Who may upload a task's result archive, and which archive. A result is bound to consensus: only a
/// worker whose revealed digest is the task's result digest (a revealed winner of the replicated path,
/// or the TEE worker whose enclave-signed digest completed the task) uploads, and only an archive
/// whose result digest (<see cref="ArchiveResultDigest"/>) is that digest.
/// </summary>
/// <remarks>
/// Uploads that arrive before finalization: a revealed winner uploads right after its reveal, while
/// other winners may still be revealing (task REVEALING). Its digest is already final: a task with one
/// reveal never reopens, and every winner reveals the same digest (the winning hash commits to it). So
/// the archive is accepted as the task's candidate result; it becomes the result when the task
/// completes, and is dropped if the task instead FAILS at its final deadline (possible when a reopened
/// consensus leaves the reveal deadline after the final one). Readers therefore check the task's status
/// (<see cref="IsBound"/>) before serving a stored archive.
/// </remarks>
public static class ResultUploadRules
{
    /// <summary>Null when <paramref name="worker"/> may upload the task's result (see <see cref="ConsensusDigest"/> for which archive); else why not.</summary>
    public static UploadRefusal? Check(TaskRun task, Address worker)
    {
        var id = task.TaskId;
        var replicate = task.Replicates.FirstOrDefault(r => r.Worker == worker);
        if (replicate is null)
        {
            return new(UploadRefusalCode.NeverHeld, $"worker {worker.ToLowerHex()} never held a replicate of task {id} (rule: only a winner of the task's consensus uploads its result)");
        }

        if (task.Status == TaskStatus.Failed)
        {
            return new(UploadRefusalCode.TaskFailed, $"task {id} FAILED at its final deadline and has no result (rule: only a completed task's consensus result is stored)");
        }

        switch (replicate.Status)
        {
            case ReplicateStatus.Rejected:
                return new(UploadRefusalCode.NotAWinner, $"worker {worker.ToLowerHex()}'s contribution to task {id} was rejected: it lost the vote or was not revealed in time (rule: only a revealed winner uploads)");
            case ReplicateStatus.Assigned or ReplicateStatus.WorkerLost or ReplicateStatus.Abandoned or ReplicateStatus.TimedOut:
                return task.Status is TaskStatus.Active or TaskStatus.Unset && replicate.Status is ReplicateStatus.Assigned or ReplicateStatus.TimedOut
                    ? new(UploadRefusalCode.NoConsensusYet, $"task {id} has no consensus yet (rule: a result is uploaded after its reveal is accepted)")
                    : new(UploadRefusalCode.NeverContributed, $"worker {worker.ToLowerHex()} never contributed to task {id} (rule: only a revealed winner uploads)");
            case ReplicateStatus.Contributed:
                if (task.Status != TaskStatus.Revealing)
                {
                    return new(UploadRefusalCode.NoConsensusYet, $"task {id} has no consensus yet (rule: a result is uploaded after its reveal is accepted)");
                }

                return replicate.ResultHash == task.ConsensusHash
                    ? new(UploadRefusalCode.RevealFirst, $"worker {worker.ToLowerHex()} has not revealed its digest for task {id} yet (rule: a winner uploads after its reveal is accepted)")
                    : new(UploadRefusalCode.NotAWinner, $"worker {worker.ToLowerHex()} did not contribute task {id}'s winning hash (rule: only a revealed winner uploads)");
            default:
                // Revealed: a winner whose digest reproduced the winning hash and its own seal.
                return null;
        }
    }

    /// <summary>The digest an uploaded archive must carry: the digest the winners revealed; null before any reveal.</summary>
    public static Hash32? ConsensusDigest(TaskRun task) => task.Status == TaskStatus.Failed ? null : task.ResultDigest;

    /// <summary>
    /// Null when an archive whose result digest (<see cref="ArchiveResultDigest"/>) is <paramref name="archiveResultDigest"/>
    /// is the one the consensus agreed on; else why not.
    /// </summary>
    public static UploadRefusal? CheckArchive(Hash32 taskId, Hash32 consensusDigest, Hash32 archiveResultDigest)
        => archiveResultDigest == consensusDigest
            ? null
            : new(UploadRefusalCode.NotTheConsensusDigest, $"the archive's result digest {archiveResultDigest} is not task {taskId}'s consensus digest {consensusDigest} (rule: the stored result is the archive the consensus agreed on)");

    /// <summary>True when an archive stored for the task is its result (the task COMPLETED); a FAILED task's candidate is dropped.</summary>
    public static bool IsBound(TaskStatus status) => status == TaskStatus.Completed;
}
