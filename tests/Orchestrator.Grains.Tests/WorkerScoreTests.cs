using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using Orchestrator.Simulation;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tests;

/// <summary>Scores as PoCo keeps them: each settled task applied once to the worker's current score.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerScoreTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Two_workers_with_two_slots_each_score_every_shared_win_of_a_trust_3_deal()
    {
        // The README walk-through: two workers, 24 tasks at trust 3. Each worker holds two tasks at a
        // time, so settlements land concurrently; each must still count. (A worker whose score reaches
        // 12 weighs 3 and reaches trust-3 consensus alone; such a win among one scores no point, by PoCo.)
        await fixture.CancelLeftoverDealsAsync();
        var deal = Deals.New(fixture, tasks: 24, trust: 3);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 2).Select(_ => new SimulatedWorker(fixture.Grains, WorkerBehavior.Honest, slots: 2)).ToList();
        await fixture.Grains.Pool().AuthorizeAsync(workers.Select(w => w.Address).ToList());
        try
        {
            await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
            var running = workers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();

            var view = await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(running);
            Assert.Equal(24, view.Completed);

            var completed = fixture.Ledger.OfType<TaskCompletedV1>().Where(e => e.DealId == deal.DealId).ToList();
            foreach (var worker in workers)
            {
                var wins = completed.Count(e => e.Contributions.Any(c => c.Worker == worker.Address && c.Revealed));
                var sharedWins = completed.Count(e => e.Contributions.Count > 1 && e.Contributions.Any(c => c.Worker == worker.Address && c.Revealed));
                var settled = await WaitForViewAsync(worker.Address, v => v.Wins == wins);
                Assert.Equal(0, settled.Losses);
                Assert.Equal(sharedWins, settled.Score);
                Assert.True(settled.Score >= 12, $"both workers share at least the first twelve wins, got a score of {settled.Score}");
            }
        }
        finally
        {
            // The cluster is shared by the collection: these workers must take no task of a later test.
            await fixture.Grains.Pool().RevokeAsync(workers.Select(w => w.Address).ToList());
        }
    }

    [Fact]
    public async Task A_faulty_workers_score_is_the_rules_applied_in_finalization_order()
    {
        // Driven step by step so the order in which tasks finalize is known: each task is revealed, and
        // its outcomes land, before the next one is. Only this deal's tasks may reach these workers.
        // Each worker has two slots, and a replicate it contributed frees its slot, as the worker grain
        // counts room (and the agent runs): kept until settled, contributed replicates could fill every
        // slot with tasks that each wait for a replica no worker has room to take.
        await fixture.CancelLeftoverDealsAsync();
        var deal = Deals.New(fixture, tasks: 12, trust: 3);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var faulty = new ManualWorker(fixture.Grains, slots: 2);
        var workers = Enumerable.Range(0, 4).Select(_ => new ManualWorker(fixture.Grains, slots: 2)).Prepend(faulty).ToList();
        foreach (var worker in workers)
        {
            Assert.Equal(RegistrationOutcome.Accepted, (await worker.RegisterAsync()).Outcome);
        }

        try
        {
            var holdings = workers.ToDictionary(w => w, _ => new List<Assignment>());
            var expected = 0;
            var settled = 0;
            for (var round = 0; round < 100 && settled < 12; round++)
            {
                foreach (var worker in workers)
                {
                    var held = holdings[worker];
                    foreach (var assign in await worker.TakeAsync(2))
                    {
                        held.Add(assign.Assignment);
                        var digest = worker == faulty && assign.Assignment.Index % 2 == 1 ? new Hash32(new byte[32]) : ManualWorker.Digest(assign.Assignment);
                        var result = await worker.ContributeAsync(assign.Assignment.TaskId, digest);
                        if (!result.Accepted)
                        {
                            held.Remove(assign.Assignment);
                        }
                    }
                }

                foreach (var taskId in holdings.Values.SelectMany(h => h).Select(a => a.TaskId).Distinct().ToList())
                {
                    var task = await fixture.Grains.Task(taskId).GetViewAsync();
                    if (task.Status != TaskStatus.Revealing)
                    {
                        continue;
                    }

                    var before = await faulty.Grain.GetViewAsync();
                    foreach (var winner in task.Replicates.Where(r => r.ResultHash == task.ConsensusHash))
                    {
                        var assignment = holdings[workers.Single(w => w.Address == winner.Worker)].Single(a => a.TaskId == taskId);
                        Assert.True((await fixture.Grains.Worker(winner.Worker).RevealAsync(taskId, ManualWorker.Digest(assignment))).Accepted);
                    }

                    var record = fixture.Ledger.OfType<TaskCompletedV1>().Single(e => e.TaskId == taskId).Contributions;
                    if (record.FirstOrDefault(c => c.Worker == faulty.Address) is { } mine)
                    {
                        var outcome = new TaskOutcome(taskId, mine.Revealed ? OutcomeVerdict.Won : OutcomeVerdict.Lost, record.Count, string.Empty);
                        expected = outcome.Apply(expected);
                        var landed = await WaitForViewAsync(faulty.Address, v => v.Wins + v.Losses == before.Wins + before.Losses + 1);
                        Assert.Equal(expected, landed.Score);
                    }

                    settled++;
                    foreach (var held in holdings.Values)
                    {
                        held.RemoveAll(a => a.TaskId == taskId);
                    }
                }
            }

            Assert.True(settled == 12, $"{settled} of 12 tasks settled; still held: {await DescribeAsync(holdings.Values.SelectMany(h => h))}");
            var view = await WaitForViewAsync(faulty.Address, v => v.Assignments.Count == 0);
            Assert.True(view.Wins > 0 && view.Losses > 0, $"the faulty worker both won and lost ({view.Wins} won, {view.Losses} lost)");
            Assert.Equal(expected, view.Score);
        }
        finally
        {
            // The cluster is shared by the collection: these workers must take no task of a later test.
            await fixture.Grains.Pool().RevokeAsync(workers.Select(w => w.Address).ToList());
        }
    }

    [Fact]
    public async Task A_refused_contribution_that_ends_the_part_frees_the_slot_at_once_and_says_why()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        var taken = Assert.Single(await worker.TakeAsync(1)).Assignment;
        fixture.Time.Advance(7 * ClusterFixture.TestCategory.Timeref);
        await worker.Grain.HeartbeatAsync(worker.Session);

        var late = await worker.ContributeAsync(taken.TaskId, ManualWorker.Digest(taken));

        Assert.Equal(TaskRefusalCode.ContributionDeadlinePassed, late.Refusal);
        Assert.Empty((await worker.Grain.GetViewAsync()).Assignments);
        var poll = await worker.Grain.PollAsync(worker.Session, 1);
        var cancel = Assert.IsType<CancelCommand>(Assert.Single(poll.Commands));
        Assert.Equal(taken.TaskId, cancel.TaskId);
        Assert.Contains("ContributionDeadlinePassed", cancel.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_whose_reveal_ends_the_task_gets_its_outcome_in_the_answer()
    {
        // Only this deal's task is followed: the cluster is shared, so the worker takes with room to spare.
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains, slots: 16);
        await worker.RegisterAsync();
        try
        {
            var mine = (await worker.TakeAsync(16)).Select(a => a.Assignment).Single(a => a.DealId == deal.DealId);
            var contributed = await worker.ContributeAsync(mine.TaskId, ManualWorker.Digest(mine));
            Assert.True(contributed.RevealNow);
            Assert.Null(contributed.Outcome); // the task is not over yet: nothing to settle

            var before = await worker.Grain.GetViewAsync();
            var revealed = await worker.Grain.RevealAsync(mine.TaskId, ManualWorker.Digest(mine));

            // The outcome rides on the answer and is applied before it returns: no wait for a one-way call.
            Assert.Equal(TaskStatus.Completed, revealed.Status);
            var outcome = Assert.IsType<WorkerOutcome>(revealed.Outcome);
            Assert.Equal((mine.TaskId, OutcomeVerdict.Won, 1), (outcome.TaskId, outcome.Verdict, outcome.Contributors));
            var after = await worker.Grain.GetViewAsync();
            Assert.DoesNotContain(mine.TaskId, after.Assignments);
            Assert.Equal(before.Wins + 1, after.Wins);
        }
        finally
        {
            await fixture.Grains.Pool().RevokeAsync([worker.Address]);
        }
    }

    private async Task<string> DescribeAsync(IEnumerable<Assignment> held)
    {
        var lines = new List<string>();
        foreach (var assignment in held)
        {
            var task = await fixture.Grains.Task(assignment.TaskId).GetViewAsync();
            lines.Add($"{assignment.DealId}#{assignment.Index} {task.Status} ({task.Replicates.Count} replicates)");
        }

        return string.Join("; ", lines);
    }

    private Task<WorkerView> WaitForViewAsync(Address worker, Func<WorkerView, bool> condition) =>
        Eventually.ForAsync($"worker {worker}'s view to settle", () => fixture.Grains.Worker(worker).GetViewAsync(), condition, TimeSpan.FromSeconds(20));
}
