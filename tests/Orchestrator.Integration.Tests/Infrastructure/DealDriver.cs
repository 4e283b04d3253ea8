using System.Collections.Concurrent;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using Orchestrator.Host.Simulation;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>
/// Runs simulated workers against a cluster that may lose silos or its database underneath them. A
/// worker whose call fails is replaced by a fresh identity (as an agent that lost its session and its
/// in-flight work): the abandoned identity's assigned replicates are released as WorkerLost.
/// </summary>
public sealed class DealDriver(IGrainFactory grains, int workers = 8, int slots = 4)
{
    private readonly SimulatedWorker[] _workers = Enumerable.Range(0, workers).Select(_ => NewWorker(grains, slots)).ToArray();
    private readonly ConcurrentDictionary<Address, bool> _abandoned = new();
    private readonly CancellationTokenSource _stop = new();
    private List<Task> _running = [];
    private int _recoveries;
    private string _params = "demo";

    /// <summary>Worker sessions replaced after a failed call.</summary>
    public int Recoveries => _recoveries;

    /// <summary>Replicates released because their worker identity was abandoned.</summary>
    public int Released { get; private set; }

    /// <summary>Authorizes the fleet and creates a deal of <paramref name="tasks"/> tasks.</summary>
    public async Task<Hash32> CreateDealAsync(int tasks, int trust = 1)
    {
        await AuthorizeAsync();
        var deal = DemoRunner.NewDeal(new DemoSettings(tasks, workers, trust, 0, 0, false, TimeSpan.FromMinutes(5)));
        _params = deal.Params;
        var created = await grains.Deal(deal.DealId).CreateAsync(deal);
        Assert.True(created.Accepted, string.Join("; ", created.Errors));
        return deal.DealId;
    }

    /// <summary>Authorizes this driver's workers (idempotent).</summary>
    public Task AuthorizeAsync() => grains.Pool().AuthorizeAsync(_workers.Select(w => w.Address).ToList());

    /// <summary>Starts the workers.</summary>
    public void Start() => _running = Enumerable.Range(0, _workers.Length).Select(i => Task.Run(() => ServeAsync(i))).ToList();

    /// <summary>Stops the workers after their current batch of commands (nothing is left half done).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
    }

    /// <summary>Polls the deal until it finishes, reconciling now and then; returns the last view.</summary>
    public async Task<DealView> WaitAsync(Hash32 dealId, TimeSpan timeout, Func<DealView, Task>? onProgress = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var lastNudge = DateTime.UtcNow;
        DealView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                view = await grains.Deal(dealId).GetViewAsync();
                if (view.IsFinished)
                {
                    return view;
                }

                if (onProgress is not null)
                {
                    await onProgress(view);
                }

                // The deal's reminder reconciles every minute; the test asks for it sooner.
                if (DateTime.UtcNow - lastNudge > TimeSpan.FromSeconds(3))
                {
                    lastNudge = DateTime.UtcNow;
                    await ReleaseAbandonedAsync(dealId);
                    await grains.Deal(dealId).CheckDeadlinesAsync();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not Xunit.Sdk.XunitException)
            {
                // The cluster is recovering (silo lost, database away): ask again shortly.
            }

            await Task.Delay(200);
        }

        return view ?? throw new TimeoutException($"deal {dealId} never answered");
    }

    private async Task ReleaseAbandonedAsync(Hash32 dealId)
    {
        if (_abandoned.IsEmpty)
        {
            return;
        }

        foreach (var index in await grains.Deal(dealId).GetOpenTaskIndicesAsync(10_000))
        {
            var task = grains.Task(ProtocolIds.TaskId(dealId, (ulong)index));
            var view = await task.GetViewAsync();
            foreach (var replicate in view.Replicates.Where(r => _abandoned.ContainsKey(r.Worker)))
            {
                if (replicate.Status == ReplicateStatus.Assigned)
                {
                    await task.ReleaseAsync(replicate.Worker, ReplicateStatus.WorkerLost);
                    Released++;
                }
                else if (replicate.Status == ReplicateStatus.Contributed && view.Status == TaskStatus.Revealing)
                {
                    // The abandoned agent had contributed and lost its reveal call: it reveals on reconnect,
                    // as the real agent does from its local journal (the simulated app is deterministic).
                    await task.RevealAsync(replicate.Worker, SimulatedWorker.HonestDigest(view.TaskId, _params));
                    Released++;
                }
            }
        }
    }

    private async Task ServeAsync(int slot)
    {
        while (!_stop.IsCancellationRequested)
        {
            var worker = _workers[slot];
            try
            {
                await worker.RunAsync(_stop.Token);
                if (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(200); // dropped by the cluster: register again
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Interlocked.Increment(ref _recoveries);
                if (!await ReplaceAsync(slot))
                {
                    return;
                }
            }
        }
    }

    private async Task<bool> ReplaceAsync(int slot)
    {
        _abandoned[_workers[slot].Address] = true;
        var fresh = NewWorker(grains, slots);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(300, _stop.Token);
                await grains.Pool().AuthorizeAsync([fresh.Address]);
                _workers[slot] = fresh;
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // still recovering: try again
            }
        }

        return false;
    }

    private static SimulatedWorker NewWorker(IGrainFactory grains, int slots) => new(grains, WorkerBehavior.Honest, TeeKind.None, slots);
}
