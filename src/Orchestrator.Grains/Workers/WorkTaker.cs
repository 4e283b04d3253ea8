using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Scheduling;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// One worker grain's way to work: it sweeps the dispatch partitions of the classes its worker can
/// serve, from the worker's home shard on, and has each task assign the tickets taken. An idle
/// worker looks less and less often (up to 16 intervals): a thousand idle workers sweeping every
/// shard at full rate cost more than the work itself.
/// </summary>
public sealed class WorkTaker(DispatchRouter router, SchedulingOptions options)
{
    private long _nextSweepTicks;
    private int _emptySweeps;

    /// <summary>True when the idle backoff allows a sweep now.</summary>
    public bool MaySweep() => Environment.TickCount64 >= _nextSweepTicks;

    /// <summary>Takes up to <paramref name="room"/> replicates; returns the assignments the tasks granted.</summary>
    public async Task<IReadOnlyList<Assignment>> TakeAsync(IGrainFactory grains, Address worker, CapabilitiesMessage capabilities,
        WorkerAttestation? attestation, PoolPolicy policy, int score, int room)
    {
        var tickets = new List<TaskTicket>();
        var home = router.HomeShard(worker);
        foreach (var dispatchClass in SchedulingPolicy.DispatchClassesFor(capabilities.ToDomain()))
        {
            for (var i = 0; i < router.Shards && tickets.Count < room; i++)
            {
                var partition = grains.Partition(dispatchClass, (home + i) % router.Shards);
                var taken = await partition.TakeAsync(new DispatchRequest(worker, capabilities, room - tickets.Count, attestation, policy.Admission.AdmitsSimulated));
                tickets.AddRange(taken); // a ticket for a task this worker holds is refused by the task, which re-queues it
            }
        }

        // The enclave key of a TEE task is not handed out here: the enclave fetches it (with the task's
        // other secrets) from the secret service, which checks its attestation and this holding.
        var results = tickets.Count == 0 ? [] : await Task.WhenAll(tickets.Select(t => grains.Task(t.TaskId).AssignAsync(t, worker, score)));
        var assignments = results.Where(r => r.Assignment is not null).Select(r => r.Assignment!).ToList();
        _emptySweeps = assignments.Count == 0 ? Math.Min(_emptySweeps + 1, 5) : 0;
        if (_emptySweeps > 0)
        {
            _nextSweepTicks = Environment.TickCount64 + ((long)options.IdleSweepInterval.TotalMilliseconds << (_emptySweeps - 1));
        }

        return assignments;
    }
}
