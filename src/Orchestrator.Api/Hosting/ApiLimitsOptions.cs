namespace Orchestrator.Api.Hosting;

/// <summary>
/// Abuse limits of the API (section "Orchestrator:Api:Limits"): request rates per remote address and per
/// worker address, connection and stream caps, header sizes. A refused call gets HTTP 429 or, for gRPC,
/// RESOURCE_EXHAUSTED, with a retry hint.
/// </summary>
public sealed class ApiLimitsOptions
{
    /// <summary>Requests (a whole worker session counts as one) a remote address may make per second, on average.</summary>
    public int PerAddressPerSecond { get; set; } = 100;

    /// <summary>How many requests a remote address may make at once before its rate applies.</summary>
    public int PerAddressBurst { get; set; } = 200;

    /// <summary>Sessions one worker address may open per minute (a new session ends its older one).</summary>
    public int SessionsPerWorkerPerMinute { get; set; } = 30;

    /// <summary>Uploads and secret fetches one worker address may make per second, on average (bursts of twice this).</summary>
    public int WorkerCallsPerSecond { get; set; } = 20;

    /// <summary>Open connections Kestrel accepts at once.</summary>
    public long MaxConnections { get; set; } = 20_000;

    /// <summary>Concurrent HTTP/2 streams (calls) per connection.</summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>Largest total size of a request's headers, in bytes.</summary>
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// Reverse proxies (IP addresses or CIDR ranges) whose <c>X-Forwarded-For</c> names the client. Behind a
    /// proxy every request arrives from the proxy's address, so without this all clients share one rate
    /// bucket; the header is believed only from these addresses (anyone can send it). Empty: not behind one.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Largest body of a non-gRPC request (JSON transcoding), in bytes; gRPC messages have MaxMessageBytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}
