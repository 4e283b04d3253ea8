using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Simulation;

namespace Orchestrator.Integration.Tests.Infrastructure;

/// <summary>
/// Runs simulated workers against a cluster that may lose silos or its database underneath them. The
/// workers resume on their own (new session, held replicates handed back, owed reveals re-sent), so
/// the driver only starts them, stops them, and asks the deal to reconcile sooner than its reminder.
/// </summary>
public sealed class DealDriver(IGrainFactory grains, int workers = 8, int slots = 4)
{
    private readonly SimulatedWorker[] _workers = Enumerable.Range(0, workers).Select(_ => NewWorker(grains, slots)).ToArray();
    private readonly CancellationTokenSource _stop = new();
    private List<Task> _running = [];

    /// <summary>Worker sessions resumed after a failed call or a dropped session.</summary>
    public int Recoveries => _workers.Sum(w => w.Resumptions);

    /// <summary>Authorizes the fleet and creates a deal of <paramref name="tasks"/> tasks.</summary>
    public async Task<Hash32> CreateDealAsync(int tasks, int trust = 1)
    {
        await AuthorizeAsync();
        var deal = DemoRunner.NewDeal(new DemoSettings(tasks, workers, trust, 0, 0, false, TimeSpan.FromMinutes(5)));
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

    /// <summary>
    /// Waits until the deal finishes, asking it to reconcile now and then (its reminder would, once a
    /// minute); <paramref name="onProgress"/> sees each unfinished view. Fails with the last view.
    /// </summary>
    public Task<DealView> WaitAsync(Hash32 dealId, TimeSpan timeout, Func<DealView, Task>? onProgress = null)
    {
        var sinceNudge = System.Diagnostics.Stopwatch.StartNew();
        return Eventually.ForAsync(
            $"deal {dealId} to finish",
            async () =>
            {
                var view = await grains.Deal(dealId).GetViewAsync();
                if (!view.IsFinished)
                {
                    if (onProgress is not null)
                    {
                        await onProgress(view);
                    }

                    if (sinceNudge.Elapsed > TimeSpan.FromSeconds(3))
                    {
                        sinceNudge.Restart();
                        await grains.Deal(dealId).CheckDeadlinesAsync();
                    }
                }

                return view;
            },
            view => view.IsFinished,
            timeout,
            tolerate: ex => ex is not OutOfMemoryException and not Xunit.Sdk.XunitException, // the cluster is recovering (silo lost, database away)
            describe: view => $"{view.Completed} completed, {view.Failed} failed of {view.BotSize}");
    }

    private async Task ServeAsync(int slot)
    {
        try
        {
            await _workers[slot].RunAsync(_stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private static SimulatedWorker NewWorker(IGrainFactory grains, int slots) => new(grains, WorkerBehavior.Honest, TeeKind.None, slots);
}
