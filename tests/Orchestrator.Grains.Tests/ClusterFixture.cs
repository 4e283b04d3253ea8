using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Bridge;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains;
using Orchestrator.Simulation;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Secrets;
using Orchestrator.Host.Hosting;
using Orleans.TestingHost;

namespace Orchestrator.Grains.Tests;

/// <summary>
/// One in-process Orleans cluster for the assembly: in-memory storage and reminders, the protocol
/// clock on a <see cref="FakeTimeProvider"/> so deadlines pass when a test says so, never by sleeping.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    /// <summary>
    /// Off in the shared cluster, whose tests were written against sweeps that ask every partition (a clean-clone
    /// run once failed a step-by-step score test with skipping on there); IdleSweepTests run with it on.
    /// </summary>
    protected virtual TimeSpan EmptyShardMemory => TimeSpan.Zero;

    /// <summary>A category with a short timeref so even real-time paths stay short.</summary>
    public static readonly Category TestCategory = new(101, "TEST", TimeSpan.FromMinutes(5));

    /// <summary>The secret service's master keys in this cluster (two, so rotation can be exercised).</summary>
    public static readonly byte[] MasterKeyOld = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    /// <summary>The active master key.</summary>
    public static readonly byte[] MasterKeyNew = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public IGrainFactory Grains => Cluster.Client;

    public EventLedger Ledger => Cluster.Silos[0].ServiceProvider.GetRequiredService<EventLedger>();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOrchestratorMemoryStorage();
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton(new OrchestratorClock(Time));
            silo.Services.AddSingleton(new CategoryCatalog([TestCategory]));
            silo.Services.Configure<SchedulingOptions>(o =>
            {
                o.HeartbeatTimeout = TimeSpan.FromSeconds(30);
                o.IdleSweepInterval = TimeSpan.Zero;
                o.DispatchShards = 4;
                o.FanOutChunk = 8;
                o.EmptyShardMemory = EmptyShardMemory;
            });
            silo.Services.Configure<SecretsOptions>(o =>
            {
                o.MasterKeys["test-old"] = Convert.ToBase64String(MasterKeyOld);
                o.MasterKeys["test-new"] = Convert.ToBase64String(MasterKeyNew);
                o.ActiveKeyId = "test-new";
            });
            // No policy caching in tests: a pool or app policy change applies at the next take or fetch.
            silo.Services.Configure<Orchestrator.Grains.Trust.AttestationOptions>(o => o.PolicyCacheTtl = TimeSpan.Zero);
            silo.Services.AddOrchestratorGrains();
            silo.Services.AddInMemoryEventBus();
            silo.Services.AddEventLedger();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>
    /// Cancels every deal an earlier test of the collection left unfinished. Their queued tickets, and
    /// replicates still pending for workers those tests revoked, would otherwise fill the slots of a
    /// test that drives its own workers step by step and counts what they settle.
    /// </summary>
    public async Task CancelLeftoverDealsAsync()
    {
        var finished = Ledger.OfType<DealFinishedV1>().Select(e => e.DealId).ToHashSet();
        foreach (var dealId in Ledger.OfType<DealAcceptedV1>().Select(e => e.DealId).Distinct().Where(id => !finished.Contains(id)).ToList())
        {
            await Grains.Deal(dealId).CancelAsync("left unfinished by an earlier test");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
