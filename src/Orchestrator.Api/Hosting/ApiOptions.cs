namespace Orchestrator.Api.Hosting;

/// <summary>
/// The gRPC API's configuration (section "Orchestrator:Api"). The API is served only when
/// <see cref="Enabled"/>; validated at start (<see cref="ApiOptionsValidator"/>).
/// </summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Api";

    /// <summary>Serve the API (Kestrel) in this process.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The gRPC endpoint, e.g. "http://0.0.0.0:5080" or "https://0.0.0.0:5443" (port 0 = any free
    /// port). Plain http serves HTTP/2 only (gRPC needs it; prior knowledge); https negotiates
    /// HTTP/1.1 or HTTP/2, so JSON and gRPC share the port.
    /// </summary>
    public string Url { get; set; } = "http://127.0.0.1:5080";

    /// <summary>
    /// An optional plain HTTP/1.1 endpoint (e.g. "http://127.0.0.1:5081") for JSON transcoding, health
    /// and status pages when <see cref="Url"/> is plain http.
    /// </summary>
    public string? HttpUrl { get; set; }

    /// <summary>The admin bearer token (a secret: prefer <see cref="AdminTokenSha256"/> in files).</summary>
    public string? AdminToken { get; set; }

    /// <summary>SHA-256 of the admin bearer token's UTF-8 bytes, as 64 hex digits (0x optional).</summary>
    public string? AdminTokenSha256 { get; set; }

    /// <summary>PFX/PKCS#12 (or PEM) certificate file for https endpoints.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PFX password, or the password of an encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key file of a PEM <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>
    /// The pool address bound into every worker's session proof (0x + 40 hex digits). Defaults to
    /// Orchestrator:Chain:PoolAddress, else the zero address (a pool without a chain).
    /// </summary>
    public string? PoolAddress { get; set; }

    /// <summary>The chain id bound into every worker's session proof. Defaults to Orchestrator:Chain:ChainId, else 0.</summary>
    public long? ChainId { get; set; }

    /// <summary>
    /// The OrchestratorHub contract orders are signed for (the verifyingContract of their EIP-712 domain). Defaults to
    /// Orchestrator:Chain:HubAddress; without one the order book refuses every write.
    /// </summary>
    public string? HubAddress { get; set; }

    /// <summary>
    /// The certificate (PEM or DER) workers see when TLS ends in front of the silo (an ingress or a
    /// load balancer): its SHA-256 is bound into session proofs instead of <see cref="CertificatePath"/>'s.
    /// </summary>
    public string? BoundCertificatePath { get; set; }

    /// <summary>Largest gRPC message accepted or sent, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest result archive a worker may upload, in bytes.</summary>
    public long MaxResultBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest logs package a worker may upload, in bytes (two 1 MiB tails by default on the workers, plus the tar and ECIES envelopes).</summary>
    public long MaxLogsBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Where uploaded result archives are stored.</summary>
    public string ResultDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "orchestrator-results");

    /// <summary>
    /// How often workers heartbeat (told in Welcome). 3 s, so three missed beats fit in the worker grain's
    /// 9 s timeout and a lost worker is found within 10 s; 10,000 sessions then send 3,333 beats a second.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The heartbeat timeout announced to workers in Welcome, and the silence after which a session ends
    /// its own stream with DEADLINE_EXCEEDED (a backstop for a worker that keeps its connection open and
    /// sends nothing). Loss itself is judged only by the worker grain (its
    /// <c>Orchestrator:Scheduling:HeartbeatTimeout</c>), which releases the worker's replicates and
    /// ends the session too. A session stops looking for work after two silent intervals. Defaults to three intervals.
    /// </summary>
    public TimeSpan? SessionIdleTimeout { get; set; }

    /// <summary>How long a worker has to answer the challenge.</summary>
    public TimeSpan ChallengeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest gap between two looks for new work of a session with free slots. Reveals and cancels are
    /// pushed at once (the worker grain signals), and so is a deal submitted through this silo (every
    /// session wakes); otherwise new work is looked for at once after each change, then at a doubling
    /// interval up to this. Each look sweeps the dispatch shards, so this bounds what idle workers cost:
    /// 10,000 idle sessions at 5 s are 2,000 looks a second.
    /// </summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often WatchDeal looks at the deal's tasks.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Where apps are fetched from, by app address (sent to workers as Assignment.app_uri).</summary>
    public Dictionary<string, string> AppUris { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Each app's container image pinned by digest, by app address (<c>registry/name@sha256:&lt;64 hex&gt;</c>),
    /// sent to workers as Assignment.app_image by the default <c>IAppImages</c>.
    /// </summary>
    public Dictionary<string, string> AppImages { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Rate, connection and size limits.</summary>
    public ApiLimitsOptions Limits { get; set; } = new();

    /// <summary>The effective idle timeout.</summary>
    public TimeSpan EffectiveSessionIdleTimeout => SessionIdleTimeout ?? HeartbeatInterval * 3;
}
