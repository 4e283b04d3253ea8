using Microsoft.Extensions.Configuration;
using Orchestrator.Abstractions.Grains;
using Orleans.Runtime;

namespace Orchestrator.Host.Observability.Status;

/// <summary>Builds the status page's snapshot from the cluster (membership, recent deals, the pool's workers) and this silo's gauges.</summary>
public sealed class StatusSnapshotBuilder(IGrainFactory grains, ILocalSiloDetails local, IConfiguration configuration, InstrumentReader instruments, TimeProvider time)
{
    /// <summary>Deals listed (the most recent).</summary>
    public const int MaxDeals = 50;

    /// <summary>Workers listed.</summary>
    public const int MaxWorkers = 200;

    public async Task<StatusSnapshot> BuildAsync()
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: true);
        var silos = hosts.Select(h => new SiloRow(h.SiloName, h.SiloAddress.ToParsableString(), h.Status.ToString())).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

        var entries = await grains.DealDirectory().RecentAsync(MaxDeals);
        var views = await Task.WhenAll(entries.Select(e => grains.Deal(e.DealId).GetViewAsync()));
        var deals = entries.Zip(views, (e, v) => new DealRow(
            e.DealId.ToString(), e.CreatedAt, v.BotSize, v.Completed, v.Failed, v.BotSize - v.Completed - v.Failed, v.Trust, v.CategoryId, v.Reopens)).ToList();
        var tasks = new TaskCounts(deals.Sum(d => (long)d.Tasks), deals.Sum(d => (long)d.Completed), deals.Sum(d => (long)d.Failed), deals.Sum(d => (long)d.Open));

        var addresses = (await grains.Pool().ListWorkersAsync()).Take(MaxWorkers).ToList();
        var workerViews = await Task.WhenAll(addresses.Select(a => grains.Worker(a).GetViewAsync()));
        var workers = workerViews
            .Select(w => new WorkerRow(w.Worker.ToLowerHex(), w.State.ToString(), w.Score, w.Assignments.Count, w.LastHeartbeat, w.Contributions, w.Wins, w.Losses))
            .OrderByDescending(w => w.Score).ThenBy(w => w.Address, StringComparer.Ordinal).ToList();

        var gauges = instruments.Read();
        var onThisSilo = gauges.TryGetValue("orchestrator.tasks", out var byStatus)
            ? byStatus.GroupBy(m => m.Tag ?? "unknown").ToDictionary(g => g.Key, g => g.Sum(m => m.Value), StringComparer.Ordinal)
            : new Dictionary<string, long>(StringComparer.Ordinal);
        var depth = gauges.TryGetValue("orchestrator.dispatch.queue_depth", out var partitions) ? partitions.Sum(m => m.Value) : 0;
        var chain = new ChainRow(
            configuration.GetValue<bool>("Orchestrator:Chain:Enabled"),
            gauges.TryGetValue("orchestrator.chain.lag_blocks", out var lag) && lag.Count > 0 ? lag.Max(m => m.Value) : null,
            gauges.TryGetValue("orchestrator.bridge.pending_transactions", out var pending) && pending.Count > 0 ? pending.Sum(m => m.Value) : null);

        return new StatusSnapshot(time.GetUtcNow(), local.Name, silos, tasks, onThisSilo, depth, deals, workers, chain);
    }
}
