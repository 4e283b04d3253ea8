using MassTransit;
using MassTransit.Middleware.Rescue;
using MassTransit.Transports;

namespace Orchestrator.Bridge.Bus;

/// <summary>
/// The dead-letter step of the bridge's endpoints: a message no consumer there handles (an unknown
/// type or version) is moved to the endpoint's error queue, with the reason in its fault headers,
/// instead of MassTransit's default _skipped queue — so one watched queue holds everything that
/// could not be processed.
/// </summary>
internal sealed class UnknownMessageFilter : IFilter<ReceiveContext>
{
    public void Probe(ProbeContext context) => context.CreateFilterScope("unknownToError");

    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        var types = context.TryGetPayload<ConsumeContext>(out var consume) ? string.Join(", ", consume.SupportedMessageTypes) : "(unreadable envelope)";
        var exception = new UnknownMessageException($"no consumer on {context.InputAddress} handles message types [{types}]");
        if (context.TryGetPayload(out IErrorTransport? errorTransport))
        {
            await errorTransport.Send(new RescueExceptionReceiveContext(context, exception)).ConfigureAwait(false);
        }

        await next.Send(context).ConfigureAwait(false);
    }
}
