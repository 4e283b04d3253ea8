using Orchestrator.Abstractions.Events;

namespace Orchestrator.Bridge.Contract;

/// <summary>
/// Gas limits for the hub's batch calls, from the contract's worst case rather than from
/// eth_estimateGas (which bisects by running the batch many times). Each term covers the most a
/// piece can cost: a run of one deal (cold deal reads, a fresh done-bit word, the pool's credit, and
/// with an escrow its cold reads, the requester's frozen balance and the app and dataset owners' fresh credits),
/// a task (index checks, its log record), a contribution (two signature recoveries, a cold balance
/// slot written from zero), and the calldata. Typical batches use a quarter of it; unused gas is
/// not paid for. The total stays under <see cref="Ceiling"/>, below the usual 30M block limit.
/// </summary>
public static class GasBounds
{
    /// <summary>Never ask for more than this in one transaction.</summary>
    public const long Ceiling = 25_000_000;

    private const long Base = 60_000;
    private const long PerRun = 130_000;
    private const long PerTask = 10_000;
    private const long PerContribution = 35_000;
    private const long PerContributionBytes = 86 + 64 + 85;
    private const long PerClaim = 100_000;

    /// <summary>The gas the hub gives a deal's callback per task (its CALLBACK_GAS).</summary>
    public const long CallbackGas = 200_000;

    // The hub refuses to call a callback unless CALLBACK_GAS + 1/63 of it + its reserve is left; plus its
    // call, its CallbackCalled log and the data's copy and hash.
    private const long PerCallback = CallbackGas + (CallbackGas / 63) + 10_000 + 15_000;

    /// <summary>The gas limit of finalizeBatch for these tasks.</summary>
    public static long Finalize(IReadOnlyList<TaskCompletedV1> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var runs = tasks.Select(t => t.DealId).Distinct().Count();
        var contributions = tasks.Sum(t => (long)t.Contributions.Count);
        var callbacks = tasks.Where(t => t.HasCallback).ToList();
        var callbackBytes = callbacks.Sum(t => 2L + (t.CallbackData?.Length ?? 0));
        var calldata = 16 * (2 + PackedBatch.MaxResultBase + (runs * 34L) + (tasks.Count * 41L) + (contributions * PerContributionBytes) + callbackBytes);
        return Math.Min(Ceiling, Base + (runs * PerRun) + (tasks.Count * PerTask) + (contributions * PerContribution) + (callbacks.Count * PerCallback) + calldata);
    }

    /// <summary>
    /// The part of a batch's gas one task may take beyond the usual (its callback's): the batcher keeps
    /// a batch's sum under <see cref="CallbackBudget"/> so that callbacks never push a batch over the ceiling.
    /// </summary>
    public static long CallbackCost(TaskCompletedV1 task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.HasCallback ? PerCallback + (16L * (2 + (task.CallbackData?.Length ?? 0))) : 0;
    }

    /// <summary>Most callback gas one batch carries (about 50 callbacks), leaving the rest of the ceiling to the tasks themselves.</summary>
    public const long CallbackBudget = 12_000_000;

    /// <summary>The gas limit of claimBatch for this many tasks (each may touch a cold deal and its escrow, two fresh words, the frozen balance and a fresh balance).</summary>
    public static long Claim(int tasks) => Math.Min(Ceiling, Base + (tasks * PerClaim));
}
