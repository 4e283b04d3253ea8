using System.Diagnostics;
using System.Security.Cryptography;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Simulation;

/// <summary>What a demo run is asked to do.</summary>
public sealed record DemoSettings(int Tasks, int Workers, int Trust, int Faulty, int Lost, bool Tee, TimeSpan Timeout, int Slots = 2, int CategoryId = 0);

/// <summary>Progress of a running demo.</summary>
public sealed record DemoProgress(TimeSpan Elapsed, int Completed, int Failed, int Total);

/// <summary>The demo's summary.</summary>
public sealed record DemoSummary(
    Hash32 DealId,
    int Tasks,
    int Completed,
    int Failed,
    int Contributions,
    int ConsensusRounds,
    IReadOnlyList<WorkerView> Penalised,
    IReadOnlyList<WorkerView> Workers,
    int LostWorkers,
    TimeSpan Elapsed)
{
    /// <summary>Tasks that reached a final status per second.</summary>
    public double Throughput => (Completed + Failed) / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Every task reached COMPLETED or FAILED.</summary>
    public bool AllFinal => Completed + Failed == Tasks;
}

/// <summary>One deal of a run finished: its index (from 0), its view and the time it took from submission.</summary>
public sealed record DealFinished(int Index, DealView View, TimeSpan Elapsed);

/// <summary>Runs a deal across simulated workers against any cluster (embedded or remote) and summarises it.</summary>
public sealed class DemoRunner(IGrainFactory grains)
{
    /// <summary>Authorizes the fleet, submits the deal, runs the workers until the deal is done or the timeout.</summary>
    public Task<DemoSummary> RunAsync(DemoSettings settings, Action<DemoProgress>? progress, CancellationToken cancellationToken) =>
        RunDealsAsync(settings, 1, null, progress, cancellationToken);

    /// <summary>
    /// Runs <paramref name="deals"/> deals of the same settings one after another on one fleet, which registers once and
    /// keeps polling between them (so a later deal finds it registered and warm, as a pool's fleet is). Each finished
    /// deal is reported to <paramref name="finished"/>, awaited before the next deal is submitted (or the fleet stops).
    /// The summary is the last deal's.
    /// </summary>
    public async Task<DemoSummary> RunDealsAsync(
        DemoSettings settings, int deals, Func<DealFinished, Task>? finished, Action<DemoProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deals, 1);
        var workers = Enumerable.Range(0, settings.Workers).Select(i => new SimulatedWorker(
            grains,
            i < settings.Faulty ? WorkerBehavior.Faulty : i < settings.Faulty + settings.Lost ? WorkerBehavior.Vanishing : WorkerBehavior.Honest,
            settings.Tee ? TeeKind.Sgx : TeeKind.None,
            settings.Slots)).ToList();
        await PrepareAsync(settings, workers);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        List<Task>? fleet = null;
        DealFinished last = null!;
        for (var i = 0; i < deals; i++)
        {
            var deal = await SubmitAsync(settings);
            // The fleet starts once the first deal is in, so its first polls find work.
            fleet ??= workers.Select(w => Task.Run(() => w.RunAsync(stop.Token), CancellationToken.None)).ToList();
            last = await AwaitDealAsync(i, deal.DealId, settings.Timeout, progress, cancellationToken);
            if (finished is not null)
            {
                await finished(last);
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(fleet!.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        var views = await Task.WhenAll(workers.Select(w => grains.Worker(w.Address).GetViewAsync()));
        var contributions = views.Sum(v => v.Contributions);
        var penalised = views.Where(v => v.Losses > 0).ToList();
        var lost = views.Count(v => v.State == WorkerState.Lost);
        return new DemoSummary(last.View.DealId, settings.Tasks, last.View.Completed, last.View.Failed, contributions, last.View.ConsensusRounds, penalised, views, lost, last.Elapsed);
    }

    /// <summary>Lets the fleet in: the pool's policy (simulated TEE evidence when asked) and its authorization, and the demo app's policy.</summary>
    private async Task PrepareAsync(DemoSettings settings, IReadOnlyList<SimulatedWorker> workers)
    {
        var pool = grains.Pool();
        var policy = await pool.GetPolicyAsync();
        await pool.SetPolicyAsync(policy with { AllowSimulatedTee = settings.Tee || policy.AllowSimulatedTee });
        await pool.AuthorizeAsync(workers.Select(w => w.Address).ToList());
        if (settings.Tee)
        {
            // TEE tasks go only to workers whose evidence satisfies the app's policy: the demo app
            // accepts the demo enclave's measurement, simulated (the pool above allows simulation).
            var app = NewDeal(settings).App;
            var registered = await grains.AppPolicy(app).SetAsync(DemoAppPolicy(app));
            if (!registered.Accepted)
            {
                throw new InvalidOperationException("the demo app policy was refused: " + string.Join("; ", registered.Errors));
            }
        }
    }

    private async Task<DealSpecMessage> SubmitAsync(DemoSettings settings)
    {
        var deal = NewDeal(settings);
        var created = await grains.Deal(deal.DealId).CreateAsync(deal);
        if (!created.Accepted)
        {
            throw new InvalidOperationException("the deal was refused: " + string.Join("; ", created.Errors));
        }

        return deal;
    }

    /// <summary>Polls the deal's view until it is finished (or the timeout, or cancellation).</summary>
    private async Task<DealFinished> AwaitDealAsync(int index, Hash32 dealId, TimeSpan timeout, Action<DemoProgress>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var view = await grains.Deal(dealId).GetViewAsync();
            progress?.Invoke(new DemoProgress(stopwatch.Elapsed, view.Completed, view.Failed, view.BotSize));
            if (view.IsFinished || stopwatch.Elapsed > timeout || cancellationToken.IsCancellationRequested)
            {
                return new DealFinished(index, view, stopwatch.Elapsed);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }
    }

    /// <summary>The demo app's attestation policy: SGX, the demo enclave's MRENCLAVE, simulated evidence accepted.</summary>
    public static AppAttestationPolicy DemoAppPolicy(Address app) => new()
    {
        App = app,
        Tee = TeeKind.Sgx,
        MrEnclaves = [SimulatedEnclave.DefaultMrEnclave],
        AllowSimulated = true,
    };

    /// <summary>A fresh off-chain deal for the settings, with its id derived the PoCo way from a random request hash.</summary>
    public static DealSpecMessage NewDeal(DemoSettings settings, DateTimeOffset? start = null)
    {
        var requestHash = new Hash32(RandomNumberGenerator.GetBytes(32));
        var dealId = ProtocolIds.DealId(requestHash, 0);
        return new DealSpecMessage(
            dealId, Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), Address.Zero,
            settings.CategoryId, settings.Trust, settings.Tee ? new TeeTag(TeeTag.Tee | TeeTag.Scone) : TeeTag.NoTee, 0, settings.Tasks,
            1_000_000_000, start ?? DateTimeOffset.UtcNow, 1, 256, false, "demo", [])
        {
            // The demo's results are made-up digests, published in clear (a TEE deal must say so or name a key).
            PublicResults = settings.Tee,
        };
    }
}
