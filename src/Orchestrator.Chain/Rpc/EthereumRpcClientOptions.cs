namespace Orchestrator.Chain.Rpc;

/// <summary>Settings of <see cref="EthereumRpcClient"/>.</summary>
public sealed record EthereumRpcClientOptions
{
    /// <summary>The node's HTTP JSON-RPC endpoint, e.g. http://127.0.0.1:8545.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Time allowed for one HTTP attempt, from sending to reading the whole response.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per call, the first included; only transport failures, timeouts, 5xx and 429 are retried.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Backoff before the second attempt; it doubles for each further attempt.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap on one backoff delay (also caps a server's Retry-After).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);
}
