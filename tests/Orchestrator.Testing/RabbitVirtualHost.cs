namespace Orchestrator.Testing;

/// <summary>A fresh RabbitMQ virtual host for one fixture (its queues cannot meet another test's), deleted afterwards.</summary>
public sealed class RabbitVirtualHost : IAsyncLifetime
{
    /// <summary>Its name (empty when the broker is not installed and the facts are skipped).</summary>
    public string Name { get; private set; } = string.Empty;

    /// <summary>An AMQP URI for it with the guest user.</summary>
    public Uri Uri => new($"amqp://guest:guest@127.0.0.1:{RabbitBroker.Port}/{Uri.EscapeDataString(Name)}");

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        if (RabbitBroker.UnavailableReason is null)
        {
            Name = RabbitBroker.CreateVirtualHost();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        if (Name.Length > 0)
        {
            RabbitBroker.DeleteVirtualHost(Name);
        }

        return Task.CompletedTask;
    }
}
