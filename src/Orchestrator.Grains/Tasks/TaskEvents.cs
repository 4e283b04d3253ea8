using Orchestrator.Abstractions.Events;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Grains.Tasks;

/// <summary>Builds the bus events of a task's final steps.</summary>
internal static class TaskEvents
{
    public static TaskCompletedV1 Completed(TaskRun run, TaskCompleted completed, DateTimeOffset now)
    {
        var contributions = completed.Contributions.Select(r =>
        {
            var settled = completed.Settlement.Workers.First(w => w.Worker == r.Worker);
            return new ContributionRecordV1(
                r.Worker, r.ResultHash!.Value, r.ResultSeal!.Value, r.WorkerSignature ?? [], r.EnclaveSignature ?? [],
                run.EnclaveChallenge ?? Address.Zero, r.Status == ReplicateStatus.Revealed, r.Weight,
                settled.ScoreBefore, settled.Reward, settled.StakeSeized);
        }).ToList();
        return new TaskCompletedV1($"task-completed:{run.TaskId}", now, run.TaskId, run.Terms.DealId, run.Terms.Index,
            completed.ResultDigest, run.ConsensusHash!.Value, contributions, completed.Settlement.SchedulerReward, run.Terms.IsTeeFastPath,
            run.Terms.Callback, run.Terms.HasCallback ? run.CallbackData ?? [] : null);
    }

    public static TaskFailedV1 Failed(TaskRun run, TaskFailed failed, DateTimeOffset now)
        => new($"task-failed:{run.TaskId}", now, run.TaskId, run.Terms.DealId, run.Terms.Index, run.Terms.TaskPrice, failed.Reason);
}
