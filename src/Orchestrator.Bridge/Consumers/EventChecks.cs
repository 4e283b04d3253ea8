using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Sending;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Consumers;

/// <summary>Refuses events that could never be settled, before they reach a batch (their messages go to the error queue).</summary>
internal static class EventChecks
{
    public static void Check(TaskCompletedV1 e)
    {
        CheckIds(e.TaskId, e.DealId, e.Index, e.EventId);
        if (e.Contributions is null || e.Contributions.Count == 0)
        {
            throw new TaskRejectedException($"malformed event {e.EventId}: a completed task without contributions");
        }

        foreach (var c in e.Contributions)
        {
            if (c.WorkerSignature is not { Length: 65 })
            {
                throw new TaskRejectedException($"malformed event {e.EventId}: worker {c.Worker}'s signature is {c.WorkerSignature?.Length ?? 0} bytes, not 65");
            }
        }
    }

    public static void Check(TaskFailedV1 e) => CheckIds(e.TaskId, e.DealId, e.Index, e.EventId);

    private static void CheckIds(Domain.Crypto.Hash32 taskId, Domain.Crypto.Hash32 dealId, long index, string? eventId)
    {
        if (string.IsNullOrEmpty(eventId))
        {
            throw new TaskRejectedException("malformed event: no EventId");
        }

        if (dealId.IsZero || index < 0 || ProtocolIds.TaskId(dealId, (ulong)index) != taskId)
        {
            throw new TaskRejectedException($"malformed event {eventId}: task {taskId} is not keccak256(deal {dealId} ‖ index {index})");
        }
    }
}
