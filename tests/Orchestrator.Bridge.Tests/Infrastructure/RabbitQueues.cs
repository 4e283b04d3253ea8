using RabbitMQ.Client;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>Raw access to the queues of a test virtual host (the broker itself is the kit's <see cref="Testing.RabbitBroker"/>).</summary>
public static class RabbitQueues
{
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

    private static ConnectionFactory Factory(string virtualHost) => new() { HostName = "127.0.0.1", Port = Testing.RabbitBroker.Port, VirtualHost = virtualHost, UserName = "guest", Password = "guest" };
}
