using System.Diagnostics;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Deals;

/// <summary>
/// Carries the final notices of a silo's tasks to their deal grains, one call per deal at a time: the first
/// notice of a quiet deal leaves at once, alone; notices that arrive while a call to that deal is in flight
/// wait for it and then leave together. Every task of a deal tells the one deal activation, so under load
/// this turns a call per task into a call per flight, with no timer and no added wait at low load.
/// A notice's task completes only once its deal has counted it, as with a call of its own. A flight belongs to
/// no one task: it is its own span ("deal.notices"), linked to the span of every notice it carries.
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
        var waiting = new Waiting(notice, Activity.Current?.Context, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queued)
        {
            if (_queued.TryGetValue(dealId, out var queue))
            {
                queue.Add(waiting);
                return waiting.Done.Task;
            }

            _queued[dealId] = [];
        }

        // Off the calling grain's scheduler and out of its execution context: the flights outlive the turn (and the
        // activation) that started them, and carry other tasks' notices.
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
                using var flight = StartFlight(dealId, batch);
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

    private static Activity? StartFlight(Hash32 dealId, List<Waiting> batch)
    {
        if (!GrainsTelemetry.Source.HasListeners())
        {
            return null;
        }

        var links = batch.Where(w => w.Sender is not null).Select(w => new ActivityLink(w.Sender!.Value)).ToList();
        var activity = GrainsTelemetry.Source.StartActivity("deal.notices", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag(TelemetryTags.DealId, dealId.ToString());
        activity?.SetTag("orchestrator.notices", batch.Count);
        return activity;
    }

    private sealed record Waiting(TaskFinalNotice Notice, ActivityContext? Sender, TaskCompletionSource Done);
}
