using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Scheduling;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;
using Orchestrator.Telemetry;
using Orleans.Runtime;

namespace Orchestrator.Grains.Dispatch;

/// <summary>A queued run of tasks, consumed from the front.</summary>
[GenerateSerializer, Alias("orch.state.dispatch-run.v1")]
public sealed class QueuedRun
{
    [Id(0)] public required DealTicket Deal { get; set; }
    [Id(1)] public long NextIndex { get; set; }
    [Id(2)] public long EndIndex { get; set; }
    [Id(3)] public long FirstIndex { get; set; }
    [Id(4)] public IReadOnlyList<string> TaskParams { get; set; } = [];
    [Id(5)] public IReadOnlyList<Address> Excluded { get; set; } = [];

    public long Remaining => EndIndex - NextIndex;

    public static QueuedRun From(DispatchEntry entry) => new()
    {
        Deal = entry.Deal,
        FirstIndex = entry.FirstIndex,
        NextIndex = entry.FirstIndex,
        EndIndex = entry.FirstIndex + entry.Count,
        TaskParams = entry.TaskParams,
        Excluded = entry.Excluded,
    };
}

/// <summary>A dispatch partition's persisted queue (state name "dispatch"): the deals' runs only.</summary>
[GenerateSerializer, Alias("orch.state.dispatch.v1")]
public sealed class DispatchState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public List<QueuedRun> Runs { get; set; } = [];
}

/// <summary>
/// One shard of one dispatch class. Deals' tasks wait as runs of indices (a deal of a million tasks
/// costs a few hundred entries), persisted before an enqueue or a take returns. Extra replicate
/// requests from tasks are soft: held in memory, served first (their tasks are already running),
/// never written — a request lost with a silo goes stale and its task asks again when the deal
/// reconciles. Writing them made every take serialize an ever longer queue.
/// A TEE task is handed only to a worker whose last verified evidence satisfies its app's policy and
/// is fresh (<see cref="Orchestrator.Attestation.Policy.TeeAdmission"/>); the others leave it in the queue for a worker that does.
/// </summary>
public sealed partial class DispatchPartitionGrain(
    [PersistentState("dispatch", StorageNames.Default)] IPersistentState<DispatchState> state,
    AppPolicyCache policies,
    OrchestratorClock clock,
    IOptions<AttestationOptions> attestation,
    ILogger<DispatchPartitionGrain> logger) : Grain, IDispatchPartitionGrain
{
    private readonly List<QueuedRun> _soft = [];
    private LiveGaugeSlot? _depthSlot;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _depthSlot = GrainsTelemetry.QueueDepth.Register(this.GetPrimaryKeyString(), Depth());
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _depthSlot?.Dispose();
        return Task.CompletedTask;
    }
    private readonly HashSet<(Address App, int Version)> _reportedWithoutPolicy = [];

    public async Task EnqueueAsync(IReadOnlyList<DispatchEntry> entries)
    {
        var durable = false;
        foreach (var entry in entries)
        {
            if (entry.Soft)
            {
                _soft.Add(QueuedRun.From(entry));
            }
            else
            {
                state.State.Runs.Add(QueuedRun.From(entry));
                durable = true;
            }
        }

        if (durable)
        {
            await state.WriteOrResetAsync(this);
        }

        _depthSlot?.Value = Depth();
    }

    public async Task<DispatchTake> TakeAsync(DispatchRequest request)
    {
        var capabilities = request.Capabilities.ToDomain();
        var taken = new List<TaskTicket>(Math.Min(request.Max, 64));
        var admitted = capabilities.Tee == TeeKind.None ? null : await AdmittedAppsAsync(request);
        TakeFrom(_soft, request, capabilities, admitted, taken);
        var fromRuns = taken.Count;
        TakeFrom(state.State.Runs, request, capabilities, admitted, taken);
        if (taken.Count > fromRuns)
        {
            await state.WriteOrResetAsync(this);
        }

        var depth = Depth();
        if (taken.Count > 0)
        {
            _depthSlot?.Value = depth;
        }

        // Empty for everyone, not only for this worker: a worker that cannot run what waits here (too
        // little memory, excluded, not admitted) must not make its silo's other workers skip it.
        return new DispatchTake(taken, depth == 0);
    }

    public async Task<IReadOnlyList<TaskTicket>> TakeTicketsAsync(DispatchRequest request) => (await TakeAsync(request)).Tickets;

    public Task<long> GetDepthAsync() => Task.FromResult(Depth());

    /// <summary>Tasks waiting (durable runs and soft requests). A few hundred runs at most: summed, not tracked.</summary>
    private long Depth()
    {
        long depth = 0;
        foreach (var run in state.State.Runs) depth += run.Remaining;
        foreach (var run in _soft) depth += run.Remaining;
        return depth;
    }

    /// <summary>
    /// The app versions of the queued TEE runs whose policy this worker's evidence satisfies now: each
    /// deal's pinned version, so an owner's later version with other measurements admits no worker
    /// to an older deal (and the older version's enclaves keep running it).
    /// </summary>
    private async Task<HashSet<(Address App, int Version)>> AdmittedAppsAsync(DispatchRequest request)
    {
        var admitted = new HashSet<(Address App, int Version)>();
        if (request.Attestation is not { Verified: true } evidence)
        {
            return admitted;
        }

        var now = clock.UtcNow;
        // The pool's simulation rule is asked again only for simulated evidence (it refuses nothing else).
        var simulationAllowed = request.SimulationAllowed && (!evidence.Simulated || (await policies.GetPoolPolicyAsync()).Admission.AdmitsSimulated);
        var apps = _soft.Concat(state.State.Runs).Where(r => r.Remaining > 0 && r.Deal.Tag.RequiresTee).Select(r => (r.Deal.App, r.Deal.AppVersion)).Distinct();
        foreach (var app in apps)
        {
            var policy = await policies.GetAsync(app.App, app.AppVersion);
            if (policy is null && _reportedWithoutPolicy.Add(app))
            {
                // Once per app and activation: an operator must see why these TEE tasks do not move.
                LogNoPolicy(logger, app.App, this.GetPrimaryKeyString());
            }

            if (AttestationMapping.Admit(policy, evidence, simulationAllowed, now, attestation.Value.MaxEvidenceAge).Admitted)
            {
                admitted.Add(app);
            }
        }

        return admitted;
    }

    private static void TakeFrom(List<QueuedRun> runs, DispatchRequest request, WorkerCapabilities capabilities, HashSet<(Address App, int Version)>? admittedTeeApps, List<TaskTicket> taken)
    {
        var exhausted = false;
        for (var i = 0; i < runs.Count && taken.Count < request.Max; i++)
        {
            var run = runs[i];
            if (run.Remaining <= 0 || SchedulingPolicy.Match(run.Deal.Requirements, capabilities, request.Max - taken.Count, request.Worker, run.Excluded) != MismatchReason.None)
            {
                continue;
            }

            if (run.Deal.Tag.RequiresTee && admittedTeeApps?.Contains((run.Deal.App, run.Deal.AppVersion)) != true)
            {
                continue; // its app's policy does not admit this worker's evidence (or it has none, or it is stale)
            }

            // Extra replicates of one task are queued as separate single-task runs: never give two to one worker.
            if (run.Remaining == 1 && taken.Exists(t => t.Index == run.NextIndex && t.Deal.DealId == run.Deal.DealId))
            {
                continue;
            }

            while (run.Remaining > 0 && taken.Count < request.Max)
            {
                var offset = (int)(run.NextIndex - run.FirstIndex);
                var taskParams = offset < run.TaskParams.Count ? run.TaskParams[offset] : run.Deal.Params;
                taken.Add(new TaskTicket(run.Deal, run.NextIndex, taskParams));
                run.NextIndex++;
            }

            exhausted |= run.Remaining <= 0;
        }

        if (exhausted)
        {
            runs.RemoveAll(r => r.Remaining <= 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TEE tasks of app {App} wait in partition {Partition}: the app has no attestation policy (its owner registers the app with its measurements: `orchestrator app register`, orchestrator.registry.v1 Registry.RegisterApp)")]
    private static partial void LogNoPolicy(ILogger logger, Address app, string partition);
}
