using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using Orchestrator.Simulation;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>Checks, across every silo's idempotent consumer, that each task of a deal ended final exactly once.</summary>
public static class FinalEvents
{
    /// <summary>
    /// Asserts that every task of the deal is final in its grain (the truth, read back from PostgreSQL),
    /// with its contribution when completed, and that no task was reported final in two ways by any consumer.
    /// Returns how many distinct tasks the consumers saw.
    /// </summary>
    public static async Task<int> AssertEachTaskFinalOnceAsync(IGrainFactory grains, Hash32 dealId, int tasks, IEnumerable<EventLedger> ledgers)
    {
        var views = await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => grains.Task(ProtocolIds.TaskId(dealId, (ulong)i)).GetViewAsync()));
        Assert.All(views, v => Assert.True(v.Status.IsFinal(), $"task {v.Index} is {v.Status}: " + string.Join(", ", v.Replicates.Select(r => $"{r.Worker} {r.Status} at {r.AssignedAt:O}"))));
        Assert.All(views.Where(v => v.Status == TaskStatus.Completed), v => Assert.Contains(v.Replicates, r => r.ResultHash is not null));

        var finals = ledgers.SelectMany(l => l.OfType<TaskCompletedV1>().Select(e => (e.TaskId, Kind: TaskStatus.Completed))
            .Concat(l.OfType<TaskFailedV1>().Select(e => (e.TaskId, Kind: TaskStatus.Failed)))).GroupBy(f => f.TaskId).ToList();
        var byId = views.ToDictionary(v => v.TaskId);
        Assert.All(finals, g =>
        {
            Assert.Single(g.Select(f => f.Kind).Distinct());
            Assert.Equal(byId[g.Key].Status, g.First().Kind);
        });
        return finals.Count;
    }

    /// <summary>
    /// Waits until the consumers have seen every task's final event (delivery follows the grains'
    /// writes), reading only the ledgers: no task grain is woken, so nothing is re-published on the
    /// test's behalf. Then checks as <see cref="AssertEachTaskFinalOnceAsync"/> does; returns how many
    /// distinct tasks the consumers saw.
    /// </summary>
    public static async Task<int> WaitAllSeenAsync(IGrainFactory grains, Hash32 dealId, int tasks, IEnumerable<EventLedger> ledgers, TimeSpan timeout)
    {
        var all = ledgers.ToList();
        await Eventually.ForAsync(
            $"the consumers to see the final event of each of the {tasks} tasks",
            () => Task.FromResult(SeenFinal(all)),
            seen => seen >= tasks,
            timeout,
            describe: seen => $"{seen} tasks seen final");
        return await AssertEachTaskFinalOnceAsync(grains, dealId, tasks, all);
    }

    private static int SeenFinal(IEnumerable<EventLedger> ledgers)
        => ledgers.SelectMany(l => l.OfType<TaskCompletedV1>().Select(e => e.TaskId).Concat(l.OfType<TaskFailedV1>().Select(e => e.TaskId))).Distinct().Count();

    /// <summary>Asserts <paramref name="tasks"/> distinct tasks ended, each in one kind only, and completed ones kept their contributions.</summary>
    public static void AssertEachTaskFinalOnce(IEnumerable<EventLedger> ledgers, int tasks)
    {
        var finals = ledgers.SelectMany(l => l.OfType<TaskCompletedV1>().Select(e => (e.TaskId, Kind: "completed", e.Contributions.Count))
            .Concat(l.OfType<TaskFailedV1>().Select(e => (e.TaskId, Kind: "failed", Count: 0)))).ToList();
        var byTask = finals.GroupBy(f => f.TaskId).ToList();
        Assert.Equal(tasks, byTask.Count);
        Assert.All(byTask, g => Assert.Single(g.Select(f => f.Kind).Distinct()));
        Assert.All(finals.Where(f => f.Kind == "completed"), f => Assert.True(f.Count >= 1, "a completed task lost its contribution"));
    }
}
