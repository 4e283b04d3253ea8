using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Domain.Results;

/// <summary>
/// Who may upload a task's logs: any worker that held a replicate of it, whatever became of the
/// replicate (a winner after its result, a worker whose app failed before it gave the replicate
/// back, a loser). Logs are the app's output for the requester, not a result: they bind nothing
/// and never replace anything (one logs object per worker, the first kept).
/// </summary>
public static class LogsUploadRules
{
    /// <summary>Null when <paramref name="worker"/> may upload the task's logs; else why not (code <see cref="UploadRefusalCode.NeverHeld"/>).</summary>
    public static UploadRefusal? Check(TaskRun task, Address worker)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.Replicates.Any(r => r.Worker == worker)
            ? null
            : new(UploadRefusalCode.NeverHeld, $"worker {worker.ToLowerHex()} never held a replicate of task {task.TaskId} (rule: only a worker that ran the task uploads its logs)");
    }
}
