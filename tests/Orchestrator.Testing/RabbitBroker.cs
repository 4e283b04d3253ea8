namespace Orchestrator.Testing;

/// <summary>
/// The local RabbitMQ node of scripts/services/rabbitmq.sh (installed and started on first use; the
/// script is idempotent): virtual hosts for fixtures, and stopping and starting the broker for outage tests.
/// </summary>
public static class RabbitBroker
{
    /// <summary>The node the script starts.</summary>
    public const string Node = "rabbit@localhost";

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public const int Port = 5672;

    private static readonly Lazy<bool> Started = new(() =>
    {
        Commands.RunServiceScript("rabbitmq");
        return true;
    });

    /// <summary>True when the broker is installed (the script installs it on Debian).</summary>
    public static bool IsInstalled { get; } = File.Exists("/usr/sbin/rabbitmqctl") || File.Exists("/usr/bin/rabbitmqctl") || File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server");

    /// <summary>Why the broker cannot be used here, or null.</summary>
    public static string? UnavailableReason => IsInstalled ? null : "rabbitmq-server is not installed: run scripts/services/rabbitmq.sh";

    /// <summary>Makes sure the node runs (once per test run).</summary>
    public static void EnsureStarted() => _ = Started.Value;

    /// <summary>Creates a fresh virtual host the guest user may use; returns its name.</summary>
    public static string CreateVirtualHost()
    {
        EnsureStarted();
        var name = "orch-test-" + Guid.NewGuid().ToString("n")[..10];
        Ctl("add_vhost", name);
        Ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return name;
    }

    /// <summary>Deletes a virtual host and its queues (best effort).</summary>
    public static void DeleteVirtualHost(string name)
    {
        try
        {
            Ctl("delete_vhost", name);
        }
        catch (InvalidOperationException)
        {
            // Already gone, or the broker is down: nothing to clean.
        }
    }

    /// <summary>Stops the broker application: every connection drops; durable queues and persistent messages stay on disk.</summary>
    public static void StopApp() => Ctl("stop_app");

    /// <summary>Starts the application again and waits until it accepts connections.</summary>
    public static void StartApp()
    {
        Ctl("start_app");
        Ctl("await_startup");
    }

    private static void Ctl(params string[] arguments) => Commands.Run("rabbitmqctl", ["-n", Node, .. arguments], TimeSpan.FromSeconds(90));
}
