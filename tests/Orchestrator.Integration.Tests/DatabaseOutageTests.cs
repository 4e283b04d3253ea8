using Orchestrator.Simulation;
using Orchestrator.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orchestrator.Integration.Tests;

/// <summary>PostgreSQL stops for a few seconds mid-deal: the cluster retries and completes.</summary>
public sealed class DatabaseOutageTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    // A write that fails while the database is away deactivates the grain (FencedWrites), so no
    // grain acts on state it could not persist; callers retry and the deal completes.
    [PostgresFact]
    public async Task The_cluster_survives_a_database_outage_and_completes_the_deal()
    {
        await using var cluster = await PgCluster.StartAsync(database.ConnectionString, "it-outage", 2);
        var ledgers = new List<EventLedger>(PgCluster.Ledgers(cluster));
        var driver = new DealDriver(cluster.Client);
        var dealId = await driver.CreateDealAsync(1_000);
        driver.Start();

        var outage = false;
        try
        {
            var view = await driver.WaitAsync(dealId, TimeSpan.FromSeconds(120), async v =>
            {
                if (!outage && v.Completed >= 300)
                {
                    outage = true;
                    PostgresServer.Control("stop");
                    await Task.Delay(TimeSpan.FromSeconds(4));
                    PostgresServer.Control("start");
                }
            });
            await driver.StopAsync();

            Assert.True(outage, "the deal finished before the database could be stopped");
            Assert.True(cluster.Silos.All(s => s.IsActive), "a silo died during the outage");
            if (!view.IsFinished)
            {
                await FinalEvents.AssertEachTaskFinalOnceAsync(cluster.Client, dealId, 1_000, []); // names the stuck task
            }

            Assert.True(view.IsFinished, $"deal not finished after the outage: {view.Completed} completed, {view.Failed} failed of {view.BotSize}");
            Assert.Equal(1_000, view.Completed + view.Failed);
            await Task.Delay(500);
            var cycled = await FinalEvents.CycleUnpublishedAsync(cluster, dealId, 1_000, ledgers);
            output.WriteLine($"{cycled} task grains re-published their outbox on reactivation; {driver.Recoveries} worker sessions resumed");
            Assert.Equal(1_000, await FinalEvents.AssertEachTaskFinalOnceAsync(cluster.Client, dealId, 1_000, ledgers));
        }
        finally
        {
            if (!PostgresServer.IsListening())
            {
                PostgresServer.Control("start");
            }
        }
    }
}
