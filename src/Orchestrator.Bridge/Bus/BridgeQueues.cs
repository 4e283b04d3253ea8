namespace Orchestrator.Bridge.Bus;

/// <summary>The names of the bridge's receive endpoints (durable queues) for one deployment prefix.</summary>
/// <param name="Prefix">The configured prefix (Orchestrator:RabbitMq:QueuePrefix).</param>
public sealed record BridgeQueues(string Prefix)
{
    /// <summary>Completed tasks waiting for their on-chain finalization.</summary>
    public string Finalizations => Prefix + ".bridge.finalize";

    /// <summary>Failed tasks waiting for their on-chain refund (claim).</summary>
    public string Claims => Prefix + ".bridge.claim";

    /// <summary>Every queue the bridge consumes.</summary>
    public IReadOnlyList<string> All => [Finalizations, Claims];
}
