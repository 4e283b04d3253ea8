using Orchestrator.Abstractions.Messages;

namespace Orchestrator.Abstractions.Grains;

/// <summary>A deal, keyed by its id as lowercase 0x-hex. Creates its tasks' dispatch entries and tracks counts by status.</summary>
[Alias("orch.IDealGrain")]
public interface IDealGrain : IGrainWithStringKey
{
    /// <summary>Creates the deal from its spec. Idempotent: the same deal twice is created once.</summary>
    [Alias("create")]
    Task<DealCreationResult> CreateAsync(DealSpecMessage spec);

    /// <summary>The deal's progress.</summary>
    [Alias("view")]
    Task<DealView> GetViewAsync();

    /// <summary>The requester secrets the deal selected, by index (empty when none or no deal).</summary>
    [Alias("requester-secrets")]
    Task<IReadOnlyDictionary<int, string>> GetRequesterSecretsAsync();

    /// <summary>A task of this deal reached a final status (idempotent per index).</summary>
    [Alias("task-final")]
    Task OnTaskFinalAsync(TaskFinalNotice notice);

    /// <summary>Tasks of this deal reached a final status: <see cref="OnTaskFinalAsync"/> for each, with at most one write.</summary>
    /// <remarks>The carrier hands over a list it never changes afterwards, so a call within the silo does not copy it.</remarks>
    [Alias("tasks-final")]
    Task OnTasksFinalAsync([Immutable] IReadOnlyList<TaskFinalNotice> notices);

    /// <summary>
    /// Applies deadlines and reconciles unfinished tasks. Called by the deal's reminder; safe to call any time.
    /// </summary>
    [Alias("check")]
    Task CheckDeadlinesAsync();

    /// <summary>
    /// Cancels the deal because its creation vanished from the chain (a reorganisation): its open tasks
    /// refuse every call from then on, their workers are told to stop with <paramref name="reason"/>, and
    /// nothing of it is finalized or claimed. Idempotent (the first reason stays; its tasks are told
    /// again); a finished deal or an unknown one is left as it is. Returns the deal's view after.
    /// </summary>
    [Alias("cancel")]
    Task<DealView> CancelAsync(string reason);

    /// <summary>Indices of tasks not yet known to be final (for operators and reconciliation), up to <paramref name="max"/>.</summary>
    [Alias("open-tasks")]
    Task<IReadOnlyList<long>> GetOpenTaskIndicesAsync(int max);
}
