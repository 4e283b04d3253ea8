using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Workers;

/// <summary>The reveals a resumed session owes: its contributed replicates whose tasks reached consensus on its hash.</summary>
public static class OwedReveals
{
    /// <summary>Asks each contributed task; returns a reveal request for every one still waiting on this worker.</summary>
    public static async Task<IReadOnlyList<RevealCommand>> FindAsync(IGrainFactory grains, Address worker, IEnumerable<Hash32> contributed)
    {
        var views = await Task.WhenAll(contributed.Select(taskId => grains.Task(taskId).GetViewAsync()));
        return views
            .Where(view => view.Status == TaskStatus.Revealing && view.RevealDeadline is not null
                && view.Replicates.Any(r => r.Worker == worker && r.Status == ReplicateStatus.Contributed && r.ResultHash == view.ConsensusHash))
            .Select(view => new RevealCommand(view.TaskId, view.RevealDeadline!.Value))
            .ToList();
    }
}
