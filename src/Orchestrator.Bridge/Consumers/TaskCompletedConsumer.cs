using MassTransit;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Sending;

namespace Orchestrator.Bridge.Consumers;

/// <summary>
/// Finalizes a completed task on chain. The message is acknowledged only once the task is final on
/// chain (its batch confirmed, or found final already), so a bridge or broker that dies meanwhile
/// gets it again, and the batcher's on-chain check makes the redelivery send nothing twice.
/// </summary>
public sealed class TaskCompletedConsumer(ChainBridge bridge) : IConsumer<TaskCompletedV1>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<TaskCompletedV1> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        EventChecks.Check(context.Message);
        if (await HandBack.UnlessLeaderAsync(context, bridge.Sender, bridge.Clock).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await bridge.Finalizations.EnqueueAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        }
        catch (LeadershipLostException)
        {
            await HandBack.ToQueueAsync(context).ConfigureAwait(false);
        }
    }
}

/// <summary>Claims (refunds) a task that failed at its final deadline; acknowledged once the claim is final on chain.</summary>
public sealed class TaskFailedConsumer(ChainBridge bridge) : IConsumer<TaskFailedV1>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<TaskFailedV1> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        EventChecks.Check(context.Message);
        if (await HandBack.UnlessLeaderAsync(context, bridge.Sender, bridge.Clock).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await bridge.Claims.EnqueueAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        }
        catch (LeadershipLostException)
        {
            await HandBack.ToQueueAsync(context).ConfigureAwait(false);
        }
    }
}
