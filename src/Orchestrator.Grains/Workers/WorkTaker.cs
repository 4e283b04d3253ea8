using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Scheduling;
using Orchestrator.Domain.Tasks;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// One worker grain's way to work: it sweeps the dispatch partitions of the classes its worker can
/// serve, from the worker's home shard on, and has each task assign the tickets taken. An idle
/// worker looks less and less often (up to 16 intervals): a thousand idle workers sweeping every
/// shard at full rate cost more than the work itself. A sweep also passes over the partitions a take
/// from this silo recently left empty (<see cref="DrainedShards"/>): with more free slots than queued
/// work, asking those was most of a lifecycle's grain calls.
/// </summary>
public sealed class WorkTaker(DispatchRouter router, SchedulingOptions options)
{
    private long _nextSweepTicks;
    private int _emptySweeps;

    /// <summary>True when the idle backoff allows a sweep now.</summary>
    public bool MaySweep() => Environment.TickCount64 >= _nextSweepTicks;

    /// <summary>
    /// Takes up to <paramref name="room"/> replicates; returns the assignments the tasks granted. Tickets of
    /// tasks that ended meanwhile (failed at their deadline, their deal cancelled) are refused by their task
    /// and leave the queue then; they must not cost the worker its poll, so the room they took is swept for
    /// again. Each round consumes the stale tickets it met, so the rounds are bounded by how many there are
    /// (and by a cap, against a queue that keeps refilling with them).
    /// </summary>
    public async Task<IReadOnlyList<Assignment>> TakeAsync(IGrainFactory grains, Address worker, CapabilitiesMessage capabilities,
        WorkerAttestation? attestation, PoolPolicy policy, int score, int room)
    {
        const int MaxRounds = 32;
        var assignments = new List<Assignment>();
        for (var round = 0; round < MaxRounds && assignments.Count < room; round++)
        {
            var tickets = await SweepAsync(grains, worker, capabilities, attestation, policy, room - assignments.Count);
            if (tickets.Count == 0)
            {
                break;
            }

            // The enclave key of a TEE task is not handed out here: the enclave fetches it (with the task's
            // other secrets) from the secret service, which checks its attestation and this holding.
            var results = await Task.WhenAll(tickets.Select(t => grains.Task(t.TaskId).AssignAsync(t, worker, score)));
            assignments.AddRange(results.Where(r => r.Assignment is not null).Select(r => r.Assignment!));
            if (!results.Any(r => r.Assignment is null && r.Refusal is TaskRefusalCode.TaskFinal or TaskRefusalCode.DealCancelled or TaskRefusalCode.ContributionDeadlinePassed))
            {
                break; // nothing stale was in the way: what was not granted is held elsewhere or re-queued
            }
        }

        _emptySweeps = assignments.Count == 0 ? Math.Min(_emptySweeps + 1, 5) : 0;
        if (_emptySweeps > 0)
        {
            _nextSweepTicks = Environment.TickCount64 + ((long)options.IdleSweepInterval.TotalMilliseconds << (_emptySweeps - 1));
        }

        return assignments;
    }

    private async Task<List<TaskTicket>> SweepAsync(IGrainFactory grains, Address worker, CapabilitiesMessage capabilities,
        WorkerAttestation? attestation, PoolPolicy policy, int room)
    {
        var tickets = new List<TaskTicket>();
        var home = router.HomeShard(worker);
        foreach (var dispatchClass in SchedulingPolicy.DispatchClassesFor(capabilities.ToDomain()))
        {
            for (var i = 0; i < router.Shards && tickets.Count < room; i++)
            {
                var shard = (home + i) % router.Shards;
                if (router.Drained.IsDrained(dispatchClass, shard))
                {
                    continue; // a take from this silo found it empty lately, and this silo queued nothing there since
                }

                var start = router.Drained.BeforeTake(dispatchClass, shard);
                var take = await grains.Partition(dispatchClass, shard).TakeAsync(
                    new DispatchRequest(worker, capabilities, room - tickets.Count, attestation, policy.Admission.AdmitsSimulated));
                tickets.AddRange(take.Tickets); // a ticket for a task this worker holds is refused by the task, which re-queues it
                if (take.Drained)
                {
                    router.Drained.Drained(start);
                }
            }
        }

        return tickets;
    }
}
