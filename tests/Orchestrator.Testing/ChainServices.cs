namespace Orchestrator.Testing;

/// <summary>The services the chain path (bus, bridge, node, database) needs together.</summary>
public static class ChainServices
{
    /// <summary>Why the chain path cannot run here (the first service missing), or null.</summary>
    public static string? UnavailableReason => AnvilNode.UnavailableReason ?? RabbitBroker.UnavailableReason ?? PostgresServer.UnavailableReason;
}
