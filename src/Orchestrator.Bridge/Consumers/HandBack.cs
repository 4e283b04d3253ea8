using MassTransit;

namespace Orchestrator.Bridge.Consumers;

/// <summary>
/// An event this instance took while it led, and can no longer settle because its term ended: a copy
/// goes back to the queue it came from (for the new leader), then the original is acknowledged. A
/// crash between the two leaves both, which is harmless: the batcher reads each task's status on
/// chain first, so a task is never finalized twice. Not an error, so not the error queue.
/// </summary>
internal static class HandBack
{
    public static async Task ToQueueAsync<T>(ConsumeContext<T> context)
        where T : class
    {
        var queue = context.ReceiveContext.InputAddress
            ?? throw new InvalidOperationException("the event's queue is unknown: it cannot be handed back to the leader");
        var endpoint = await context.GetSendEndpoint(queue).ConfigureAwait(false);
        await endpoint.Send(context.Message, CancellationToken.None).ConfigureAwait(false);
    }
}
