using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Telemetry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Orchestrator.Bridge.Bus;

/// <summary>
/// Watches the bridge's error queues (MassTransit's "&lt;queue&gt;_error") and publishes their depth as
/// the gauge <c>orchestrator.bus.error_queue_messages</c> (tag <c>queue</c>). Reads with a passive
/// declare, so it never creates a queue nor takes a message.
/// </summary>
public sealed partial class ErrorQueueMonitor : BackgroundService
{
    private readonly RabbitMqOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ErrorQueueMonitor> _logger;
    private readonly Dictionary<string, long> _depths = [];
    private readonly Lock _gate = new();
    private IConnection? _connection;

    /// <summary>Creates the monitor for the given queues.</summary>
    public ErrorQueueMonitor(IOptions<RabbitMqOptions> options, BridgeQueues queues, TimeProvider time, ILogger<ErrorQueueMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(queues);
        _options = options.Value;
        _time = time;
        _logger = logger;
        foreach (var queue in queues.All)
        {
            _depths[queue + "_error"] = 0;
        }

        BridgeTelemetry.RegisterErrorQueueGauge(Snapshot);
    }

    /// <summary>The last depth read of each error queue.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, long>(_depths);
        }
    }

    /// <summary>Reads every error queue's depth now.</summary>
    public async Task<IReadOnlyDictionary<string, long>> RefreshAsync(CancellationToken cancellationToken)
    {
        _connection ??= await new ConnectionFactory
        {
            HostName = _options.Host,
            Port = _options.Port,
            VirtualHost = _options.VirtualHost,
            UserName = _options.Username,
            Password = _options.Password,
            ClientProvidedName = "orchestrator-error-queue-monitor",
        }.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);

        string[] names;
        lock (_gate)
        {
            names = [.. _depths.Keys];
        }

        foreach (var name in names)
        {
            // A failed passive declare closes the channel: one channel per queue.
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            long depth;
            try
            {
                depth = (await channel.QueueDeclarePassiveAsync(name, cancellationToken).ConfigureAwait(false)).MessageCount;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                depth = 0; // MassTransit creates an error queue on its first fault
            }

            lock (_gate)
            {
                _depths[name] = depth;
            }
        }

        return Snapshot();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReadFailed(_logger, ex);
                if (_connection is { } broken)
                {
                    _connection = null;
                    await broken.DisposeAsync().ConfigureAwait(false);
                }
            }

            try
            {
                await Task.Delay(_options.ErrorQueuePollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _connection?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the error queue depths failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
