using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Grains.Secrets;

/// <summary>
/// Says at start, not at the first TEE task, when the secret service has no usable master key: the
/// silo still runs standard work, but every TEE hand-out would fail until the key is configured.
/// </summary>
public sealed partial class MasterKeyStartupCheck(MasterKeyRing keys, ILogger<MasterKeyStartupCheck> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            LogReady(logger, keys.ActiveKeyId);
        }
        catch (InvalidOperationException ex)
        {
            LogUnusable(logger, ex.Message);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Secret service master key '{KeyId}' active")]
    private static partial void LogReady(ILogger logger, string keyId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Secret service unusable, TEE tasks cannot be handed out: {Reason}")]
    private static partial void LogUnusable(ILogger logger, string reason);
}
