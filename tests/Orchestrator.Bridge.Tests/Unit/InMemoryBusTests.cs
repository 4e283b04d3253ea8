using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Bus;
using Orchestrator.Grains.Bus;

namespace Orchestrator.Bridge.Tests.Unit;

/// <summary>The embedded bus accepts an event only once its handlers ran: the outbox clears on that (issue 4's gap).</summary>
public sealed class InMemoryBusTests
{
    [Fact]
    public async Task PublishCompletesOnlyAfterEveryHandlerHandledTheEvents()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new GatedHandler(gate.Task);
        using var bus = new InMemoryEventBus([handler], NullLogger<InMemoryEventBus>.Instance);
        await bus.StartAsync(CancellationToken.None);

        var publish = bus.PublishAsync([new WorkerLostV1("worker-lost:a:1", DateTimeOffset.UnixEpoch, default, 0)]);
        await handler.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(publish.IsCompleted); // the handler is running, not finished: not accepted yet
        gate.SetResult();
        await publish;
        Assert.Equal(1, handler.Handled);
        await bus.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFailingHandlerFailsThePublishSoTheOutboxKeepsTheEvent()
    {
        using var bus = new InMemoryEventBus([new GatedHandler(Task.FromException(new InvalidOperationException("down")))], NullLogger<InMemoryEventBus>.Instance);
        await bus.StartAsync(CancellationToken.None);
        var outbox = new List<IIntegrationEvent> { new WorkerLostV1("worker-lost:b:1", DateTimeOffset.UnixEpoch, default, 0) };
        var publisher = new OutboxPublisher(bus, NullLogger<OutboxPublisher>.Instance);

        Assert.False(await publisher.PublishAsync(outbox));
        Assert.Single(outbox);
        await bus.StopAsync(CancellationToken.None);
    }

    private sealed class GatedHandler(Task gate) : IIntegrationEventHandler
    {
        public int Handled { get; private set; }

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAsync(IIntegrationEvent integrationEvent, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await gate;
            Handled++;
        }
    }
}
