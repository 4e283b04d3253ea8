using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Workers;

/// <summary>How the worker core's <see cref="WorkerWrite"/> verdicts map onto the grain's coalesced writes.</summary>
internal static class WorkerWrites
{
    /// <summary>Writes through or behind, or not at all, as the core said.</summary>
    public static Task ApplyAsync(this CoalescedWrites<WorkerGrainState> writes, WorkerWrite write)
    {
        switch (write)
        {
            case WorkerWrite.Through:
                return writes.WriteNowAsync();
            case WorkerWrite.Behind:
                writes.MarkDirty();
                return Task.CompletedTask;
            default:
                return Task.CompletedTask;
        }
    }
}
