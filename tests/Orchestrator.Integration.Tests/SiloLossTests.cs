using Orchestrator.Abstractions.Grains;
using Orchestrator.Simulation;
using Orchestrator.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orchestrator.Integration.Tests;

/// <summary>Three silos on PostgreSQL lose one without shutdown: nothing is lost or repeated.</summary>
public sealed class SiloLossTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    [PostgresFact]
    public async Task A_killed_silo_loses_no_task_and_its_reminders_fire_on_a_survivor()
    {
        await using var cluster = await PgCluster.StartAsync(database.ConnectionString, "it-kill", 3);
        var victim = cluster.Silos[1];
        var victimIdentity = victim.SiloAddress.ToString();

        // A reminder armed by an activation on the victim.
        long probeKey = -1;
        for (var key = 1L; key < 200 && probeKey < 0; key++)
        {
            if (await cluster.Client.GetGrain<IReminderProbeGrain>(key).WhereAsync() == victimIdentity)
            {
                probeKey = key;
            }
        }

        Assert.True(probeKey > 0, "no probe grain landed on the victim silo");
        Assert.Equal(victimIdentity, await cluster.Client.GetGrain<IReminderProbeGrain>(probeKey).ArmAsync(TimeSpan.FromSeconds(8)));

        var ledgers = new List<EventLedger>(PgCluster.Ledgers(cluster));
        var driver = new DealDriver(cluster.Client);
        var dealId = await driver.CreateDealAsync(1_000);
        driver.Start();

        var killed = false;
        var view = await driver.WaitAsync(dealId, TimeSpan.FromSeconds(120), async v =>
        {
            if (!killed && v.Completed + v.Failed >= 250)
            {
                killed = true;
                await cluster.KillSiloAsync(victim);
            }
        });
        await driver.StopAsync();

        Assert.True(killed, "the deal finished before the silo could be killed");
        var seen = await FinalEvents.AssertEachTaskFinalOnceAsync(cluster.Client, dealId, 1_000, ledgers);
        Assert.True(view.IsFinished, $"deal not finished: {view.Completed} completed, {view.Failed} failed of {view.BotSize}");
        Assert.Equal(1_000, view.Completed + view.Failed);

        // Every task's final event reached a consumer at least once (the outbox is cleared only after the
        // bus handled an event, and a write whose silo died before publishing is published again when the
        // deal's reconciliation wakes the task on a survivor), and no consumer saw a task end two ways.
        seen = await FinalEvents.WaitAllSeenAsync(cluster.Client, dealId, 1_000, ledgers, TimeSpan.FromSeconds(15));

        output.WriteLine($"consumers saw {seen} of 1000 final events; {driver.Recoveries} worker sessions resumed");
        Assert.Equal(1_000, seen);

        // The probe's reminder fires on a survivor.
        await Eventually.UntilAsync("the probe's reminder to fire after its silo died", () => ReminderProbeGrain.Fired.ContainsKey(probeKey), TimeSpan.FromSeconds(60));
        Assert.True(ReminderProbeGrain.Fired.TryGetValue(probeKey, out var firedOn), "the reminder never fired after its silo died");
        Assert.NotEqual(victimIdentity, firedOn);
    }
}
