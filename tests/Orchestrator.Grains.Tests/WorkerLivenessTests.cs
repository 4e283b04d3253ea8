using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Workers;

namespace Orchestrator.Grains.Tests;

/// <summary>
/// Who finds a silent worker lost without anyone calling its grain: the silo's liveness sweep while the grain is
/// active, the pool's liveness roster after its activation is gone (its silo died), and, during a rolling update,
/// the per-worker reminder an older silo registered. Each is driven by hand, on the fixture's protocol clock.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerLivenessTests(ClusterFixture fixture)
{
    private IServiceProvider Silo => fixture.Cluster.Silos[0].ServiceProvider;

    private int Shards => Silo.GetRequiredService<IOptions<SchedulingOptions>>().Value.RosterShards;

    private TimeSpan Timeout => Silo.GetRequiredService<IOptions<SchedulingOptions>>().Value.HeartbeatTimeout;

    [Fact]
    public async Task A_worker_grain_whose_activation_is_gone_is_found_lost_by_the_rosters_ticks_alone()
    {
        var (worker, taskId) = await WorkerHoldingATaskAsync();
        var roster = fixture.Grains.Roster(worker.Address, Shards);
        Assert.True(await roster.ListsAsync(worker.Address)); // listed at registration

        // Its silo dies: the activation is gone, and the worker sends nothing more.
        await fixture.Cluster.DeactivateAsync(worker.Grain);

        // The roster's tick wakes it; reactivated, it grants its worker one timeout from now (it cannot know better)...
        await roster.TickAsync();
        Assert.True(await roster.ListsAsync(worker.Address));

        // ...and when that passes in silence, the next tick finds it lost: its replicate goes back to the queue.
        fixture.Time.Advance(Timeout + TimeSpan.FromSeconds(1));
        await roster.TickAsync();
        Assert.Equal(WorkerState.Lost, (await worker.Grain.GetViewAsync()).State);
        Assert.Equal(ReplicateStatus.WorkerLost, Assert.Single((await fixture.Grains.Task(taskId).GetViewAsync()).Replicates).Status);

        // A lost worker needs no waking: the tick that found it lost dropped it.
        Assert.False(await roster.ListsAsync(worker.Address));

        // A new session lists it again.
        await worker.RegisterAsync();
        Assert.True(await roster.ListsAsync(worker.Address));
    }

    [Fact]
    public async Task The_silos_sweep_asks_an_active_grain_whose_worker_fell_silent()
    {
        var (worker, taskId) = await WorkerHoldingATaskAsync();
        var sweep = Silo.GetRequiredService<LivenessSweep>();

        // Before the deadline the sweep asks nothing; a heartbeat moves the deadline on.
        await sweep.SweepAsync(DateTimeOffset.UtcNow + Timeout / 2);
        fixture.Time.Advance(Timeout / 2);
        Assert.True(await worker.Grain.HeartbeatAsync(worker.Session));
        await sweep.SweepAsync(DateTimeOffset.UtcNow + Timeout - TimeSpan.FromSeconds(1));
        Assert.Equal(WorkerState.Active, (await worker.Grain.GetViewAsync()).State);

        // Silent past the timeout: the sweep's question is the only call that finds it lost.
        fixture.Time.Advance(Timeout + TimeSpan.FromSeconds(1));
        await sweep.SweepAsync(DateTimeOffset.UtcNow + Timeout + TimeSpan.FromSeconds(1));
        Assert.Equal(WorkerState.Lost, (await worker.Grain.GetViewAsync()).State);
        Assert.Equal(ReplicateStatus.WorkerLost, Assert.Single((await fixture.Grains.Task(taskId).GetViewAsync()).Replicates).Status);
    }

    [Fact]
    public async Task A_per_worker_reminder_left_by_an_older_silo_still_judges_liveness_when_it_ticks()
    {
        var (worker, taskId) = await WorkerHoldingATaskAsync();
        var remindable = worker.Grain.AsReference<IRemindable>();

        // A tick while the worker is alive changes nothing.
        await remindable.ReceiveReminder("worker-liveness", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        Assert.Equal(WorkerState.Active, (await worker.Grain.GetViewAsync()).State);
        Assert.True(await fixture.Grains.Roster(worker.Address, Shards).ListsAsync(worker.Address));

        fixture.Time.Advance(Timeout + TimeSpan.FromSeconds(1));
        await remindable.ReceiveReminder("worker-liveness", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        Assert.Equal(WorkerState.Lost, (await worker.Grain.GetViewAsync()).State);
        Assert.Equal(ReplicateStatus.WorkerLost, Assert.Single((await fixture.Grains.Task(taskId).GetViewAsync()).Replicates).Status);

        // A tick after the loss (the old reminder fires once more before it is gone) is harmless.
        await remindable.ReceiveReminder("worker-liveness", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        Assert.Equal(WorkerState.Lost, (await worker.Grain.GetViewAsync()).State);
    }

    private async Task<(ManualWorker Worker, Orchestrator.Domain.Crypto.Hash32 TaskId)> WorkerHoldingATaskAsync()
    {
        await fixture.CancelLeftoverDealsAsync();
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        var assignment = Assert.Single(await worker.TakeAsync(1)).Assignment;
        Assert.Equal(deal.DealId, assignment.DealId);
        return (worker, assignment.TaskId);
    }
}
