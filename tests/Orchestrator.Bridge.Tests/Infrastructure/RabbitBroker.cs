using RabbitMQ.Client;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>The local RabbitMQ node of scripts/services/rabbitmq.sh: one virtual host per fixture, restarts, raw publishes.</summary>
public static class RabbitBroker
{
    private const string Node = "rabbit@localhost";
    private static readonly Lazy<bool> Started = new(() =>
    {
        Services.Run("bash", [Path.Combine(Services.Root, "scripts", "services", "rabbitmq.sh")], TimeSpan.FromMinutes(5));
        return true;
    });

    /// <summary>Makes sure the node runs (idempotent script) and creates a fresh virtual host.</summary>
    public static string CreateVirtualHost()
    {
        _ = Started.Value;
        var name = "orch-test-" + Guid.NewGuid().ToString("n")[..10];
        Ctl("add_vhost", name);
        Ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return name;
    }

    /// <summary>Deletes a virtual host and its queues.</summary>
    public static void DeleteVirtualHost(string name)
    {
        try
        {
            Ctl("delete_vhost", name);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Stops the broker application (every connection drops; durable queues and persistent messages stay on disk).</summary>
    public static void StopApp() => Ctl("stop_app");

    /// <summary>Starts it again.</summary>
    public static void StartApp()
    {
        Ctl("start_app");
        Ctl("await_startup");
    }

    /// <summary>Messages in a queue (0 when it does not exist).</summary>
    public static async Task<uint> DepthAsync(string virtualHost, string queue)
    {
        await using var connection = await Factory(virtualHost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>Publishes raw bytes to a queue (through the default exchange), as a foreign or broken publisher would.</summary>
    public static async Task PublishRawAsync(string virtualHost, string queue, byte[] body, string contentType)
    {
        await using var connection = await Factory(virtualHost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { ContentType = contentType, Persistent = true, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, body);
    }

    /// <summary>Reads (and acknowledges) every message of a queue, with its headers rendered as text.</summary>
    public static async Task<List<(string Body, Dictionary<string, string> Headers)>> DrainAsync(string virtualHost, string queue)
    {
        await using var connection = await Factory(virtualHost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var messages = new List<(string, Dictionary<string, string>)>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            var headers = (message.BasicProperties.Headers ?? new Dictionary<string, object?>()).ToDictionary(
                h => h.Key, h => h.Value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : h.Value?.ToString() ?? string.Empty);
            messages.Add((System.Text.Encoding.UTF8.GetString(message.Body.Span), headers));
        }

        return messages;
    }

    private static ConnectionFactory Factory(string virtualHost) => new() { HostName = "127.0.0.1", Port = 5672, VirtualHost = virtualHost, UserName = "guest", Password = "guest" };

    private static void Ctl(params string[] arguments) => Services.Run("rabbitmqctl", ["-n", Node, .. arguments], TimeSpan.FromSeconds(90));
}
