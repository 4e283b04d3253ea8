using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Scheduling;

/// <summary>Why a worker may not take a task.</summary>
public enum MismatchReason
{
    /// <summary>The worker may take it.</summary>
    None = 0,

    /// <summary>The task needs a TEE kind the worker does not have (or the worker is TEE-only and the task is not).</summary>
    TeeKind,

    /// <summary>Not enough cores.</summary>
    Cores,

    /// <summary>Not enough memory.</summary>
    Memory,

    /// <summary>The task needs a GPU.</summary>
    Gpu,

    /// <summary>The worker does not accept the task's category.</summary>
    Category,

    /// <summary>The worker has no free slot.</summary>
    NoFreeSlot,

    /// <summary>The worker already holds (or held) a replicate of this task.</summary>
    AlreadyHoldsReplicate,
}

/// <summary>Capability-aware matching of a task's requirements against a worker.</summary>
public static class SchedulingPolicy
{
    /// <summary>
    /// Checks whether a worker with <paramref name="capabilities"/> and <paramref name="freeSlots"/> free
    /// slots may take a replicate of a task with <paramref name="requirements"/>. An SGX worker never gets
    /// a TDX task and vice versa; a standard task may run on a TEE machine only if <paramref name="teeWorkersRunStandardTasks"/>.
    /// </summary>
    public static MismatchReason Match(TaskRequirements requirements, WorkerCapabilities capabilities, int freeSlots, bool teeWorkersRunStandardTasks = true)
    {
        if (freeSlots < 1) return MismatchReason.NoFreeSlot;
        if (requirements.Tee != TeeKind.None && requirements.Tee != capabilities.Tee) return MismatchReason.TeeKind;
        if (requirements.Tee == TeeKind.None && capabilities.Tee != TeeKind.None && !teeWorkersRunStandardTasks) return MismatchReason.TeeKind;
        if (requirements.Cores > capabilities.Cores) return MismatchReason.Cores;
        if (requirements.MemoryMb > capabilities.MemoryMb) return MismatchReason.Memory;
        if (requirements.Gpu && !capabilities.Gpu) return MismatchReason.Gpu;
        if (capabilities.Categories.Count > 0 && !capabilities.Categories.Contains(requirements.CategoryId)) return MismatchReason.Category;
        return MismatchReason.None;
    }

    /// <summary>As <see cref="Match(TaskRequirements, WorkerCapabilities, int, bool)"/>, and refuses a second replicate of one task.</summary>
    public static MismatchReason Match(TaskRequirements requirements, WorkerCapabilities capabilities, int freeSlots, Address worker, IEnumerable<Address> holders, bool teeWorkersRunStandardTasks = true)
    {
        var reason = Match(requirements, capabilities, freeSlots, teeWorkersRunStandardTasks);
        if (reason != MismatchReason.None) return reason;
        return holders.Contains(worker) ? MismatchReason.AlreadyHoldsReplicate : MismatchReason.None;
    }

    /// <summary>The dispatch classes a worker can serve, most specific first.</summary>
    public static IReadOnlyList<string> DispatchClassesFor(WorkerCapabilities capabilities, bool teeWorkersRunStandardTasks = true)
    {
        var classes = new List<string>();
        var tee = capabilities.Tee.ToString().ToLowerInvariant();
        if (capabilities.Gpu) classes.Add($"{tee}-gpu");
        classes.Add($"{tee}-cpu");
        if (capabilities.Tee != TeeKind.None && teeWorkersRunStandardTasks)
        {
            if (capabilities.Gpu) classes.Add("none-gpu");
            classes.Add("none-cpu");
        }

        return classes;
    }
}
