using MassTransit;
using Orchestrator.Bridge.Sending;

namespace Orchestrator.Bridge.Consumers;

/// <summary>
/// An event this instance took while it led, and can no longer settle because its term ended: a copy
/// goes back to the queue it came from (for the new leader), then the original is acknowledged. A
/// crash between the two leaves both, which is harmless: the batcher reads each task's status on
/// chain first, so a task is never finalized twice. Not an error, so not the error queue.
/// </summary>
internal static class HandBack
{
    /// <summary>
    /// On a silo that does not lead the account: hold the event for a renewal period (this silo may be
    /// elected meanwhile, and the pause keeps non-leaders from spinning events between them), then
    /// settle it here if it now leads, or hand it back. True when it was handed back.
    /// </summary>
    public static async Task<bool> UnlessLeaderAsync<T>(ConsumeContext<T> context, AccountSender sender, TimeProvider time)
        where T : class
    {
        if (sender.Leads || sender.Leadership is not { } leadership)
        {
            return false;
        }

        await Task.Delay(leadership.RenewInterval, time, context.CancellationToken).ConfigureAwait(false);
        if (sender.Leads)
        {
            return false;
        }

        await ToQueueAsync(context).ConfigureAwait(false);
        return true;
    }

    public static async Task ToQueueAsync<T>(ConsumeContext<T> context)
        where T : class
    {
        var queue = context.ReceiveContext.InputAddress
            ?? throw new InvalidOperationException("the event's queue is unknown: it cannot be handed back to the leader");
        var endpoint = await context.GetSendEndpoint(queue).ConfigureAwait(false);
        await endpoint.Send(context.Message, CancellationToken.None).ConfigureAwait(false);
    }
}
