using Orchestrator.Abstractions.Messages;
using Orchestrator.Simulation;
using Orchestrator.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orchestrator.Integration.Tests;

/// <summary>PostgreSQL stops mid-deal: the cluster retries, completes, and publishes every final event by itself.</summary>
public sealed class DatabaseOutageTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    // A write that fails while the database is away deactivates the grain (FencedWrites), so no
    // grain acts on state it could not persist; callers retry and the deal completes. Nothing here
    // repairs the cluster afterwards: no grain is cycled or woken by the test before the assertions.
    [PostgresFact]
    public async Task The_cluster_survives_a_database_outage_and_publishes_every_final_event_unaided()
    {
        using var writeErrors = new StorageWriteErrors();
        await using var cluster = await PgCluster.StartAsync(database.ConnectionString, "it-outage", 2);
        var ledgers = new List<EventLedger>(PgCluster.Ledgers(cluster));
        var driver = new DealDriver(cluster.Client);
        var dealId = await driver.CreateDealAsync(1_000);
        driver.Start();

        var outage = false;
        long failedWrites = 0;
        try
        {
            DealView view;
            try
            {
                view = await driver.WaitAsync(dealId, TimeSpan.FromSeconds(300), async v =>
                {
                    if (!outage && v.Completed >= 300)
                    {
                        outage = true;
                        var before = writeErrors.Count;
                        PostgresServer.Control("stop");
                        try
                        {
                            // The outage lasts until the cluster has felt it: grain writes failed while the deal ran.
                            await Eventually.UntilAsync("grain state writes to fail while the database is down", () => writeErrors.Count - before >= 5, TimeSpan.FromSeconds(60), () => $"{writeErrors.Count - before} failed writes");
                        }
                        finally
                        {
                            failedWrites = writeErrors.Count - before;
                            PostgresServer.Control("start"); // the server is shared: never leave it down
                        }
                    }
                });
            }
            catch (WaitTimedOutException)
            {
                await FinalEvents.AssertEachTaskFinalOnceAsync(cluster.Client, dealId, 1_000, []); // names the stuck task
                throw;
            }

            await driver.StopAsync();
            Assert.True(outage, "the deal finished before the database could be stopped");
            Assert.True(failedWrites >= 5, $"only {failedWrites} grain writes failed: the cluster did not feel the outage");
            Assert.True(cluster.Silos.All(s => s.IsActive), "a silo died during the outage");
            Assert.Equal(1_000, view.Completed + view.Failed);

            // Every final event reaches a consumer through the product's own retries (outbox timers, the
            // deal's reconciliation), each task ending one way only.
            var seen = await FinalEvents.WaitAllSeenAsync(cluster.Client, dealId, 1_000, ledgers, TimeSpan.FromSeconds(60));
            output.WriteLine($"{failedWrites} grain writes failed during the outage; {driver.Recoveries} worker sessions resumed");
            Assert.Equal(1_000, seen);
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
