using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Bridge.Bus;

/// <summary>The RabbitMQ connection and delivery policy (section "Orchestrator:RabbitMq"), used when Orchestrator:Bus is RabbitMq.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:RabbitMq";

    /// <summary>Broker host name or address.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>AMQP port.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    /// <summary>Virtual host.</summary>
    [Required]
    public string VirtualHost { get; set; } = "/";

    /// <summary>User name.</summary>
    [Required]
    public string Username { get; set; } = "guest";

    /// <summary>Password.</summary>
    public string Password { get; set; } = "guest";

    /// <summary>Prefix of the bridge's queue names (several deployments can share a broker).</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9.-]{0,60}$", ErrorMessage = "Orchestrator:RabbitMq:QueuePrefix must be lowercase letters, digits, dots and dashes")]
    public string QueuePrefix { get; set; } = "orchestrator";

    /// <summary>Messages a consumer endpoint holds unacknowledged; must cover a full batch or batches never fill.</summary>
    [Range(1, 65535)]
    public int PrefetchCount { get; set; } = 512;

    /// <summary>Immediate retries of a failing message (in process) before it is redelivered.</summary>
    [Range(0, 100)]
    public int RetryLimit { get; set; } = 3;

    /// <summary>First retry interval; each next one doubles, up to <see cref="RetryMaxInterval"/>.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest retry interval.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Second-level redelivery rounds, spaced by <see cref="RedeliveryIntervals"/>, after the immediate retries.
    /// (RabbitMQ's delayed-exchange plugin is not in Debian's package, so the message is held by the consumer
    /// rather than re-queued with a delay; after the last round it moves to the error queue.)
    /// </summary>
    /// <remarks>Unset means 5 s, 30 s, 2 min. (An array left empty by default: the configuration binder appends to a pre-filled list.)</remarks>
    public TimeSpan[]? RedeliveryIntervals { get; set; }

    /// <summary>The redelivery rounds in force.</summary>
    public TimeSpan[] EffectiveRedeliveryIntervals => RedeliveryIntervals is { Length: > 0 } configured ? configured : [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)];

    /// <summary>How often the error-queue metric reads the queue depths.</summary>
    public TimeSpan ErrorQueuePollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem, each naming its key.</summary>
    public List<string> Check()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Host)) errors.Add("Orchestrator:RabbitMq:Host is required when Orchestrator:Bus is RabbitMq (e.g. \"127.0.0.1\")");
        if (Port is < 1 or > 65535) errors.Add($"Orchestrator:RabbitMq:Port must be 1..65535, got {Port}");
        if (string.IsNullOrWhiteSpace(Username)) errors.Add("Orchestrator:RabbitMq:Username is required");
        if (RetryInterval <= TimeSpan.Zero || RetryMaxInterval < RetryInterval) errors.Add("Orchestrator:RabbitMq:RetryInterval must be positive and at most Orchestrator:RabbitMq:RetryMaxInterval");
        if (EffectiveRedeliveryIntervals.Any(i => i <= TimeSpan.Zero)) errors.Add("Orchestrator:RabbitMq:RedeliveryIntervals must all be positive");
        if (ErrorQueuePollInterval <= TimeSpan.Zero) errors.Add("Orchestrator:RabbitMq:ErrorQueuePollInterval must be positive");
        return errors;
    }
}
