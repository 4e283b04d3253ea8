using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Tasks;
using Orchestrator.Simulation;

namespace Orchestrator.Grains.Tests;

/// <summary>A deal naming a callback, in the cluster: the reveals carry callback data and each completion event carries it for the bridge.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CallbackDealTests(ClusterFixture fixture)
{
    private static readonly Address Callback = Address.Parse("0x00000000000000000000000000000000000000cb");

    [Fact]
    public async Task A_callback_deals_completions_carry_the_callback_and_data_whose_keccak_is_the_digest()
    {
        var deal = Deals.New(fixture, tasks: 6, trust: 3) with { Callback = Callback };
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 3).Select(_ => new SimulatedWorker(fixture.Grains, WorkerBehavior.Honest)).ToList();
        await fixture.Grains.Pool().AuthorizeAsync(workers.Select(w => w.Address).ToList());
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Created);
        var running = workers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();

        var view = await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        Assert.Equal(6, view.Completed);

        await DealLifecycleTests.WaitForAsync(() => fixture.Ledger.OfType<TaskCompletedV1>().Count(e => e.DealId == deal.DealId) == 6);
        foreach (var completed in fixture.Ledger.OfType<TaskCompletedV1>().Where(e => e.DealId == deal.DealId))
        {
            Assert.Equal(Callback, completed.Callback);
            Assert.NotNull(completed.CallbackData);
            Assert.Equal(CallbackData.Digest(completed.CallbackData), completed.ResultDigest);
            // the simulated app's callback data is its honest output's 32 bytes
            Assert.Equal(SimulatedWorker.HonestDigest(completed.TaskId, "demo").ToArray(), completed.CallbackData);
        }
    }

    [Fact]
    public async Task A_reveal_without_the_callback_data_is_refused_naming_the_rule_and_the_task_still_completes()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 1) with { Callback = Callback };
        var worker = new ManualWorker(fixture.Grains);
        await worker.RegisterAsync();
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Created);
        var assignment = await Eventually.ForAsync(
            "the callback task's assignment", async () => (await worker.TakeAsync()).Select(c => c.Assignment).FirstOrDefault(a => a.DealId == deal.DealId), a => a is not null, TimeSpan.FromSeconds(30));
        Assert.Equal(Callback, assignment!.Callback);

        var data = new byte[] { 1, 2, 3 };
        var digest = CallbackData.Digest(data);
        var contributed = await worker.ContributeAsync(assignment.TaskId, digest);
        Assert.True(contributed.Accepted, contributed.Message);

        var refused = await worker.Grain.RevealAsync(assignment.TaskId, digest);
        Assert.Equal(TaskRefusalCode.BadCallbackData, refused.Refusal);
        Assert.Contains("callback-data", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Domain.Tasks.TaskStatus.Revealing, refused.Status);
        Assert.Equal(TaskRefusalCode.BadCallbackData, (await worker.Grain.RevealAsync(assignment.TaskId, digest, [9])).Refusal);

        var accepted = await worker.Grain.RevealAsync(assignment.TaskId, digest, data);
        Assert.True(accepted.Accepted, accepted.Message);
        Assert.Equal(Domain.Tasks.TaskStatus.Completed, accepted.Status);
        await DealLifecycleTests.WaitForAsync(() => fixture.Ledger.OfType<TaskCompletedV1>().Any(e => e.TaskId == assignment.TaskId));
        Assert.Equal(data, fixture.Ledger.OfType<TaskCompletedV1>().First(e => e.TaskId == assignment.TaskId).CallbackData);
    }
}
