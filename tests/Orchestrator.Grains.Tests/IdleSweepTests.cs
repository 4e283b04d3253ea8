using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Dispatch;

namespace Orchestrator.Grains.Tests;

/// <summary>
/// Idle sweeps skip partitions a take left empty; work queued afterwards must still reach the worker.
/// The fixture's clock stands still, so a mark here ends only by an enqueue, never by age. A cluster of
/// their own: these tests leave every partition marked and idle workers registered, and the shared
/// cluster's step-by-step tests count on the slots and tickets they see.
/// </summary>
[Collection(IdleSweepCollection.Name)]
public sealed class IdleSweepTests(IdleSweepClusterFixture fixture)
{
    private const string Class = "none-cpu";

    private DispatchRouter Router => fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<DispatchRouter>();

    [Fact]
    public async Task A_worker_whose_sweep_found_every_partition_empty_still_gets_a_deal_queued_afterwards()
    {
        var worker = await IdleWorkerAsync();

        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Created);

        var taken = Assert.Single(await worker.TakeAsync()).Assignment;
        Assert.Equal(deal.DealId, taken.DealId);
        Assert.True((await worker.ContributeAsync(taken.TaskId, ManualWorker.Digest(taken))).Accepted);
    }

    [Fact]
    public async Task A_replicate_a_task_asks_for_after_its_first_was_taken_reaches_another_idle_worker()
    {
        var first = await IdleWorkerAsync();
        var second = new ManualWorker(fixture.Grains, slots: 1);
        await second.RegisterAsync();
        Assert.Empty(await second.TakeAsync(1));

        var deal = Deals.New(fixture, tasks: 1, trust: 3);
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Created);

        // The first take empties the task's partition; the task then asks for its second replicate.
        var a = Assert.Single(await first.TakeAsync(1)).Assignment;
        var b = Assert.Single(await second.TakeAsync(1)).Assignment;
        Assert.Equal(a.TaskId, b.TaskId);
    }

    [Fact]
    public async Task A_silo_not_yet_updated_still_takes_tickets_through_version_1s_take()
    {
        var worker = await IdleWorkerAsync();
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Created);

        // Version 1's take (what a silo not yet updated sends) hands out the ticket, without the drained flag.
        var request = new DispatchRequest(worker.Address, new CapabilitiesMessage(TeeKind.None, 4, 8192, false, 1, []), 1);
        var tickets = new List<TaskTicket>();
        for (var shard = 0; shard < Router.Shards && tickets.Count == 0; shard++)
        {
            tickets.AddRange(await fixture.Grains.Partition(Class, shard).TakeTicketsAsync(request));
        }

        var ticket = Assert.Single(tickets);
        Assert.Equal(deal.DealId, ticket.Deal.DealId);
    }

    /// <summary>A registered worker after sweeps that left every partition of its class empty and marked.</summary>
    private async Task<ManualWorker> IdleWorkerAsync()
    {
        await fixture.CancelLeftoverDealsAsync();
        var worker = new ManualWorker(fixture.Grains);
        await worker.RegisterAsync();
        // Earlier tests' cancelled tickets leave the queue as they are taken and refused: a few sweeps at most.
        for (var sweep = 0; sweep < 50 && !AllDrained(); sweep++)
        {
            Assert.Empty(await worker.TakeAsync());
        }

        Assert.True(AllDrained(), "every partition of the worker's class is marked empty");
        return worker;
    }

    private bool AllDrained() => Enumerable.Range(0, Router.Shards).All(shard => Router.Drained.IsDrained(Class, shard));
}

/// <summary>The test cluster with idle sweeps skipping partitions seen empty, as a pool's silos run.</summary>
public sealed class IdleSweepClusterFixture : ClusterFixture
{
    protected override TimeSpan EmptyShardMemory => TimeSpan.FromMilliseconds(250);
}

[CollectionDefinition(Name)]
public sealed class IdleSweepCollection : ICollectionFixture<IdleSweepClusterFixture>
{
    public const string Name = "idle-sweep cluster";
}
