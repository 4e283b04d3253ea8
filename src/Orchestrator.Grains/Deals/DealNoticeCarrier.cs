using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Grains.Deals;

/// <summary>
/// Carries the final notices of a silo's tasks to their deal grains, one call per deal at a time: the first
/// notice of a quiet deal leaves at once, alone; notices that arrive while a call to that deal is in flight
/// wait for it and then leave together. Every task of a deal tells the one deal activation, so under load
/// this turns a call per task into a call per flight, with no timer and no added wait at low load.
/// A notice's task completes only once its deal has counted it, as with a call of its own.
/// </summary>
public sealed class DealNoticeCarrier(Func<Hash32, IReadOnlyList<TaskFinalNotice>, Task> send)
{
    private readonly Dictionary<Hash32, List<Waiting>> _queued = [];

    /// <summary>Notices waiting for a deal's call in flight; a deal with no entry has no call in flight.</summary>
    public int DealsInFlight
    {
        get
        {
            lock (_queued)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>Completes when the deal has counted the notice; fails as the call that carried it failed.</summary>
    public Task SendAsync(Hash32 dealId, TaskFinalNotice notice)
    {
        var waiting = new Waiting(notice, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queued)
        {
            if (_queued.TryGetValue(dealId, out var queue))
            {
                queue.Add(waiting);
                return waiting.Done.Task;
            }

            _queued[dealId] = [];
        }

        // Off the calling grain's scheduler, and without its execution context: the flights outlive the turn (and
        // the activation) that started them, and carry other tasks' notices, so they belong to no one task's trace.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => FlyAsync(dealId, [waiting]));
        }

        return waiting.Done.Task;
    }

    private async Task FlyAsync(Hash32 dealId, List<Waiting> batch)
    {
        while (batch.Count > 0)
        {
            try
            {
                await send(dealId, batch.ConvertAll(w => w.Notice)).ConfigureAwait(false);
                batch.ForEach(w => w.Done.TrySetResult());
            }
            catch (Exception ex)
            {
                batch.ForEach(w => w.Done.TrySetException(ex));
            }

            lock (_queued)
            {
                batch = _queued[dealId];
                if (batch.Count == 0)
                {
                    _queued.Remove(dealId);
                }
                else
                {
                    _queued[dealId] = [];
                }
            }
        }
    }

    private sealed record Waiting(TaskFinalNotice Notice, TaskCompletionSource Done);
}
