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
    /// Checks as <see cref="AssertEachTaskFinalOnceAsync"/> does until the consumers have seen every
    /// task's final event (delivery follows the grains' writes) or <paramref name="timeout"/> passes;
    /// returns how many distinct tasks they saw.
    /// </summary>
    public static async Task<int> WaitAllSeenAsync(IGrainFactory grains, Hash32 dealId, int tasks, IEnumerable<EventLedger> ledgers, TimeSpan timeout)
    {
        var all = ledgers.ToList();
        var until = DateTime.UtcNow + timeout;
        var seen = await AssertEachTaskFinalOnceAsync(grains, dealId, tasks, all);
        while (seen < tasks && DateTime.UtcNow < until)
        {
            await Task.Delay(250);
            seen = await AssertEachTaskFinalOnceAsync(grains, dealId, tasks, all);
        }

        return seen;
    }

    /// <summary>
    /// Deactivates the task grains whose final event no consumer has seen: their persisted outbox is
    /// published again at the next activation (a grain whose write failed while the database was away
    /// keeps the event in the outbox it writes later, not on the bus). Returns how many were cycled.
    /// </summary>
    public static async Task<int> CycleUnpublishedAsync(Orleans.TestingHost.InProcessTestCluster cluster, Hash32 dealId, int tasks, IReadOnlyCollection<EventLedger> ledgers)
    {
        var seen = ledgers.SelectMany(l => l.OfType<TaskCompletedV1>().Select(e => e.TaskId).Concat(l.OfType<TaskFailedV1>().Select(e => e.TaskId))).ToHashSet();
        var missing = Enumerable.Range(0, tasks).Select(i => ProtocolIds.TaskId(dealId, (ulong)i)).Where(id => !seen.Contains(id)).ToList();
        foreach (var id in missing)
        {
            var grain = cluster.Client.Task(id);
            await cluster.DeactivateAsync(grain);
            await grain.GetViewAsync();
        }

        await Task.Delay(500);
        return missing.Count;
    }

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
