using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Bridge.Sending;

namespace Orchestrator.Bridge.Bus;

/// <summary>
/// Consumes the bridge's queues only on the silo whose sender leads the account. A follower that
/// took events would hold each for a renewal period and send it back (all it can do without the
/// account's nonces), so with three silos two thirds of the queue went round in circles while the
/// leader starved. The queues exist and receive events whoever consumes (the publish topology binds
/// them), so nothing published while no silo leads is lost: it waits in the queue.
/// </summary>
public sealed partial class LeaderEndpoints(
    IReceiveEndpointConnector connector,
    AccountSender sender,
    BridgeQueues queues,
    Action<string, IBusRegistrationContext, IReceiveEndpointConfigurator> configure,
    IHostApplicationLifetime lifetime,
    ILogger<LeaderEndpoints> logger) : BackgroundService
{
    private readonly SemaphoreSlim _changed = new(0);
    private readonly List<HostReceiveEndpointHandle> _connected = [];

    /// <summary>True while this silo consumes the bridge's queues.</summary>
    public bool Consuming
    {
        get
        {
            lock (_connected)
            {
                return _connected.Count > 0;
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (sender.Leadership is { } leadership)
        {
            leadership.Elected += _ => _changed.Release();
        }

        try
        {
            // Endpoints are connected to a started bus: the host has started every service, MassTransit's too.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                await ReconcileAsync(stoppingToken).ConfigureAwait(false);
                await _changed.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await DisconnectAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        if (sender.Leads && !Consuming)
        {
            if (sender.Leadership is { } leadership)
            {
                // Armed before connecting: a term that ends meanwhile still wakes the loop to disconnect.
                leadership.Term.Register(() => _changed.Release());
            }

            lock (_connected)
            {
                foreach (var queue in queues.All)
                {
                    _connected.Add(connector.ConnectReceiveEndpoint(queue, (context, endpoint) => configure(queue, context, endpoint)));
                }
            }

            LogConsuming(logger, string.Join(", ", queues.All));
        }
        else if (!sender.Leads && Consuming)
        {
            await DisconnectAsync(cancellationToken).ConfigureAwait(false);
            LogStopped(logger);
        }
    }

    private async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        List<HostReceiveEndpointHandle> handles;
        lock (_connected)
        {
            handles = [.. _connected];
            _connected.Clear();
        }

        // Stopping waits for the consumers in flight: those of a deposed leader hand their events back.
        foreach (var handle in handles)
        {
            await handle.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bridge consumes {Queues}: this silo leads the account")]
    private static partial void LogConsuming(ILogger logger, string queues);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bridge stopped consuming: this silo no longer leads the account")]
    private static partial void LogStopped(ILogger logger);
}
