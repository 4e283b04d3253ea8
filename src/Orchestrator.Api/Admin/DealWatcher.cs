using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Proto = Orchestrator.Api.Admin.V1;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Api.Admin;

/// <summary>
/// Streams a deal's task status changes by looking at its open tasks every interval (the grains
/// publish no per-status stream that every silo sees; looking works on any silo of the cluster).
/// Only tasks not yet final are looked at, so a long deal costs less as it finishes.
/// </summary>
internal sealed class DealWatcher(IGrainFactory grains, TimeProvider time, Hash32 dealId, DealView initial)
{
    /// <summary>Most tasks looked at per interval.</summary>
    public const int MaxOpenLooked = 10_000;

    private readonly Dictionary<long, TaskStatus> _known = [];

    public async Task RunAsync(IServerStreamWriter<Proto.TaskEvent> output, TimeSpan interval, CancellationToken cancellationToken)
    {
        var deal = grains.Deal(dealId);
        var view = initial;
        // The first look covers every task, so the stream starts from the current state.
        var candidates = Enumerable.Range(0, view.BotSize).Select(o => view.BotFirst + o).Take(MaxOpenLooked).ToList();
        using var timer = new PeriodicTimer(interval, time);
        while (true)
        {
            var open = await deal.GetOpenTaskIndicesAsync(MaxOpenLooked);
            // Tasks that left the open list since the last look reached a final status: look at them once more.
            var looked = candidates.Union(open).Union(_known.Where(k => k.Value is not (TaskStatus.Completed or TaskStatus.Failed)).Select(k => k.Key)).ToList();
            var views = await Task.WhenAll(looked.Select(i => grains.Task(ProtocolIds.TaskId(dealId, (ulong)i)).GetViewAsync()));
            view = await deal.GetViewAsync();
            for (var k = 0; k < looked.Count; k++)
            {
                var index = looked[k];
                var status = views[k].Status;
                var previous = _known.TryGetValue(index, out var p) ? p : TaskStatus.Unset;
                if (status == previous)
                {
                    continue;
                }

                _known[index] = status;
                await output.WriteAsync(new Proto.TaskEvent
                {
                    DealId = dealId.ToString(),
                    TaskId = ProtocolIds.TaskId(dealId, (ulong)index).ToString(),
                    Index = (ulong)index,
                    PreviousStatus = (Proto.TaskStatus)(int)previous,
                    Status = (Proto.TaskStatus)(int)status,
                    ObservedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
                    Completed = view.Completed,
                    Failed = view.Failed,
                    Open = view.Open,
                }, cancellationToken);
            }

            // A cancelled deal's open tasks never change again: the watch ends with the deal.
            if ((view.IsFinished && _known.Values.All(s => s is TaskStatus.Completed or TaskStatus.Failed)) || view.Cancelled)
            {
                return;
            }

            candidates = [.. open];
            if (!await timer.WaitForNextTickAsync(cancellationToken))
            {
                return;
            }
        }
    }
}
