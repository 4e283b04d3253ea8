using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Domain.Workers;

/// <summary>The outcomes a settled task sends its workers.</summary>
public static class TaskOutcomes
{
    /// <summary>
    /// A completed task's outcome for one settled worker: won or lost among how many contributors. The
    /// TEE fast path's single enclave-signed contribution is a win among one, which changes no score.
    /// </summary>
    public static TaskOutcome Of(TaskRun run, TaskCompleted completed, WorkerSettlement worker)
        => worker.Won
            ? new TaskOutcome(run.TaskId, OutcomeVerdict.Won, completed.Settlement.Workers.Count, "won")
            : new TaskOutcome(run.TaskId, OutcomeVerdict.Lost, completed.Settlement.Workers.Count, "lost the vote");

    /// <summary>A task that failed at its final deadline judges nobody.</summary>
    public static TaskOutcome Failed(TaskRun run) => new(run.TaskId, OutcomeVerdict.Unjudged, 0, "task failed at its final deadline");

    /// <summary>A task cancelled with its deal judges nobody; the reason goes to the holders' sessions.</summary>
    public static TaskOutcome Cancelled(TaskRun run, TaskCancelled cancelled) => new(run.TaskId, OutcomeVerdict.Unjudged, 0, cancelled.Reason);
}
