using Orchestrator.Abstractions.Grains;
using Orchestrator.Simulation;
using Orchestrator.Integration.Tests.Infrastructure;

namespace Orchestrator.Integration.Tests;

/// <summary>
/// The whole cluster stops mid-deal; a new one on the same database resumes and completes it. Run on
/// Orleans' ADO.NET grain storage (the silo-loss and outage tests run on the group-commit default), so
/// both providers are shown to hold a deal across a restart.
/// </summary>
public sealed class ClusterRestartTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [PostgresFact]
    public async Task A_restarted_cluster_resumes_the_deal_from_the_database()
    {
        const string clusterId = "it-restart";
        var ledgers = new List<EventLedger>();
        Orchestrator.Domain.Crypto.Hash32 dealId;
        int before;
        await using (var first = await PgCluster.StartAsync(database.ConnectionString, clusterId, 2, grainStorage: "AdoNet"))
        {
            ledgers.AddRange(PgCluster.Ledgers(first));
            var driver = new DealDriver(first.Client);
            dealId = await driver.CreateDealAsync(1_000);
            driver.Start();
            // Stop the workers once part of the deal is done; the rest must be resumed by the next cluster.
            await Eventually.ForAsync(
                "300 of the deal's tasks to complete before the restart",
                () => first.Client.Deal(dealId).GetViewAsync(),
                v => v.Completed >= 300,
                TimeSpan.FromSeconds(120));
            await driver.StopAsync();
            before = (await first.Client.Deal(dealId).GetViewAsync()).Completed;
            Assert.True(before < 1_000);
            await first.StopAllSilosAsync();
        }

        await using var second = await PgCluster.StartAsync(database.ConnectionString, clusterId, 2, grainStorage: "AdoNet");
        ledgers.AddRange(PgCluster.Ledgers(second));
        var resumed = await second.Client.Deal(dealId).GetViewAsync();
        Assert.True(resumed.Exists, "the deal did not survive the restart");
        await second.Client.Deal(dealId).CheckDeadlinesAsync();

        var fleet = new DealDriver(second.Client);
        await fleet.AuthorizeAsync();
        fleet.Start();
        var view = await fleet.WaitAsync(dealId, TimeSpan.FromSeconds(90));
        await fleet.StopAsync();

        Assert.True(view.IsFinished, $"deal not finished after restart: {view.Completed} completed, {view.Failed} failed of {view.BotSize}");
        Assert.Equal(1_000, view.Completed + view.Failed);
        Assert.Equal(1_000, await FinalEvents.WaitAllSeenAsync(second.Client, dealId, 1_000, ledgers, TimeSpan.FromSeconds(15)));
    }
}
