using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Deals;
using Orchestrator.Simulation;

namespace Orchestrator.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class DealLifecycleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_trust_3_deal_runs_to_completion_with_the_honest_result()
    {
        var deal = Deals.New(fixture, tasks: 40, trust: 3);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 5).Select(_ => new SimulatedWorker(fixture.Grains, WorkerBehavior.Honest)).ToList();
        await fixture.Grains.Pool().AuthorizeAsync(workers.Select(w => w.Address).ToList());
        var created = await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        Assert.True(created.Created);
        var running = workers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();

        var view = await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();

        Assert.Equal(40, view.Completed);
        Assert.Equal(0, view.Failed);
        await WaitForAsync(() => fixture.Ledger.OfType<TaskCompletedV1>().Count(e => e.DealId == deal.DealId) == 40);
        foreach (var completed in fixture.Ledger.OfType<TaskCompletedV1>().Where(e => e.DealId == deal.DealId))
        {
            var task = await fixture.Grains.Task(completed.TaskId).GetViewAsync();
            Assert.Equal(SimulatedWorker.HonestDigest(completed.TaskId, "demo"), completed.ResultDigest);
            // Weight 2 (score under 12) needs a second agreeing reveal at trust 3; a worker of score 12 weighs 3 and suffices alone.
            var revealed = completed.Contributions.Where(c => c.Revealed).ToList();
            Assert.True(revealed.Count >= 2 || revealed.Single().ScoreBefore >= 12, "trust 3 with workers of weight 2 needs two agreeing reveals");
            Assert.Equal(Domain.Tasks.TaskStatus.Completed, task.Status);
        }

        Assert.Contains(fixture.Ledger.OfType<DealFinishedV1>(), e => e.DealId == deal.DealId && e.Completed == 40);
    }

    [Fact]
    public async Task Faulty_workers_lose_the_vote_and_their_stake()
    {
        var deal = Deals.New(fixture, tasks: 60, trust: 3);
        using var stop = new CancellationTokenSource();
        var honest = Enumerable.Range(0, 4).Select(_ => new SimulatedWorker(fixture.Grains, WorkerBehavior.Honest)).ToList();
        var faulty = new SimulatedWorker(fixture.Grains, WorkerBehavior.Faulty);
        var all = honest.Append(faulty).ToList();
        await fixture.Grains.Pool().AuthorizeAsync(all.Select(w => w.Address).ToList());
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var running = all.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();

        var view = await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(90));
        await stop.CancelAsync();
        Assert.Equal(60, view.Completed);

        await WaitForAsync(() => fixture.Ledger.OfType<TaskCompletedV1>().Count(e => e.DealId == deal.DealId) == 60);
        var records = fixture.Ledger.OfType<TaskCompletedV1>().Where(e => e.DealId == deal.DealId).SelectMany(e => e.Contributions).ToList();
        var faultyLosses = records.Where(r => r.Worker == faulty.Address && !r.Revealed).ToList();
        Assert.NotEmpty(faultyLosses);
        Assert.All(faultyLosses, r => Assert.True(r.StakeSeized > 0));
        Assert.DoesNotContain(records, r => honest.Any(h => h.Address == r.Worker) && !r.Revealed);

        // The score each loss costs is the worker's own to apply (WorkerScoreTests checks the rule in finalization order).
        var faultyView = await fixture.Grains.Worker(faulty.Address).GetViewAsync();
        Assert.True(faultyView.Losses > 0);
        var honestScores = await Task.WhenAll(honest.Select(h => fixture.Grains.Worker(h.Address).GetViewAsync()));
        Assert.All(honestScores, h => Assert.Equal(0, h.Losses));
    }

    [Fact]
    public async Task Creating_the_same_deal_twice_creates_it_once()
    {
        var deal = Deals.New(fixture, tasks: 16, trust: 1);
        var grain = fixture.Grains.Deal(deal.DealId);
        var first = await grain.CreateAsync(deal);
        var second = await grain.CreateAsync(deal);
        var conflicting = await grain.CreateAsync(deal with { Trust = 5 });

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.True(second.Accepted);
        Assert.False(conflicting.Accepted);
        Assert.Contains("other terms", conflicting.Errors[0]);
        Assert.Single(fixture.Ledger.OfType<DealAcceptedV1>(), e => e.DealId == deal.DealId);

        var depth = 0L;
        for (var shard = 0; shard < 4; shard++)
        {
            depth += await fixture.Grains.Partition("none-cpu", shard).GetDepthAsync();
        }

        Assert.True(depth >= 16, "the deal's tasks are queued");
        var open = await grain.GetOpenTaskIndicesAsync(100);
        Assert.Equal(16, open.Count);
    }

    [Fact]
    public async Task An_invalid_deal_is_refused_with_every_reason()
    {
        var deal = Deals.New(fixture, tasks: 4, trust: 3, new TeeTag(TeeTag.Tee | TeeTag.Scone)) with { CategoryId = 77 };
        var result = await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        Assert.False(result.Accepted);
        Assert.Contains(result.Errors, e => e.Contains("TEE deals accept only trust 0 or 1"));
        Assert.Contains(result.Errors, e => e.Contains("category 77"));
        Assert.False((await fixture.Grains.Deal(deal.DealId).GetViewAsync()).Exists);
    }

    internal static Task WaitForAsync(Func<bool> condition)
        => Eventually.UntilAsync("the bus to deliver the deal's final events", condition, TimeSpan.FromSeconds(30));
}

[Collection(ClusterCollection.Name)]
public sealed class PersistenceTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_task_reloaded_from_storage_keeps_its_hashes_addresses_and_replicates()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 3);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        var assignment = Assert.Single(await worker.TakeAsync(1)).Assignment;
        Assert.True((await worker.ContributeAsync(assignment.TaskId, ManualWorker.Digest(assignment))).Accepted);
        var task = fixture.Grains.Task(assignment.TaskId);
        var before = await task.GetViewAsync();

        await fixture.Cluster.DeactivateAsync(task);
        await fixture.Cluster.DeactivateAsync(fixture.Grains.Worker(worker.Address));
        var after = await task.GetViewAsync();

        Assert.Equal(before.DealId, after.DealId);
        var replicate = Assert.Single(after.Replicates);
        Assert.Equal(worker.Address, replicate.Worker);
        Assert.Equal(before.Replicates[0].ResultHash, replicate.ResultHash);
        Assert.Contains(assignment.TaskId, (await worker.Grain.GetViewAsync()).Assignments);
        Assert.Equal(Domain.Tasks.TaskRefusalCode.AlreadyContributed, (await worker.ContributeAsync(assignment.TaskId, ManualWorker.Digest(assignment))).Refusal);
    }
}
