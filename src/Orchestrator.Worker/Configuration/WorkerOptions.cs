using Orchestrator.Domain.Deals;

namespace Orchestrator.Worker.Configuration;

/// <summary>How the agent runs an app.</summary>
public enum ExecutorKind
{
    /// <summary>A local command from the allow-list, in a scratch directory (development, tests, trusted hosts).</summary>
    Process = 0,

    /// <summary>A container from the app's image by digest, through the Docker Engine API: no network, read-only root, no capabilities, memory, CPU and pids limits, input read-only.</summary>
    Docker = 1,
}

/// <summary>
/// The agent's configuration, section <c>OrchestratorWorker</c> (orchestrator-worker.settings.json, --config FILE, environment
/// variables <c>OrchestratorWorker__Key</c>, or command-line <c>--OrchestratorWorker:Key=value</c>).
/// <see cref="WorkerOptionsValidator"/> checks it at start and names every bad key.
/// </summary>
public sealed class WorkerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "OrchestratorWorker";

    /// <summary>The cluster's gRPC endpoint, e.g. <c>https://pool.example:7443</c> (http:// only for loopback or tests).</summary>
    public string ServerUrl { get; set; } = string.Empty;

    /// <summary>
    /// The worker's secp256k1 private key as 0x-hex. Prefer <see cref="PrivateKeyFile"/> or the
    /// environment variable <c>OrchestratorWorker__PrivateKey</c>; the key is never logged and never
    /// passed to apps.
    /// </summary>
    public string? PrivateKey { get; set; }

    /// <summary>A file holding the private key as 0x-hex (one line).</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>What the worker offers.</summary>
    public CapabilityOptions Capabilities { get; set; } = new();

    /// <summary>Where tasks run and the journal lives, under a subdirectory per worker address (created when missing).</summary>
    public string ScratchDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "orchestrator-worker");

    /// <summary>How apps run.</summary>
    public ExecutorKind Executor { get; set; } = ExecutorKind.Process;

    /// <summary>
    /// The apps this worker agrees to run, by app address. With the Process executor, the source of the command
    /// that runs (required). With the Docker executor, an optional restriction: empty accepts every app the pool
    /// sends with an image by digest; non-empty gives back any other app (and, where an entry names an Image,
    /// any other image of that app).
    /// </summary>
    public List<AppOptions> Apps { get; set; } = [];

    /// <summary>Run a simulated enclave (a software key and labelled simulated evidence); the pool must allow it.</summary>
    public bool SimulatedEnclave { get; set; }

    /// <summary>
    /// The trusted runner a hardware TEE worker starts (<c>orchestrator-enclave</c> inside Gramine, or inside the TD):
    /// it holds the session key, makes the quotes, opens the task's secrets and runs TEE apps. Required for a TEE
    /// worker without <see cref="SimulatedEnclave"/>.
    /// </summary>
    public EnclaveRunnerOptions EnclaveRunner { get; set; } = new();

    /// <summary>Heartbeat period on the session.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>On SIGTERM, how long running work may take to finish before it is given back.</summary>
    public TimeSpan DrainGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnection delay.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest reconnection delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest result archive the worker uploads (bytes).</summary>
    public long MaxResultBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How much of the end of an app's stdout and of its stderr is kept and uploaded for the requester, in bytes each (default 1 MiB).</summary>
    public int LogTailBytes { get; set; } = Execution.LogTail.DefaultBytes;

    /// <summary>A PEM file of CA certificates the server's TLS certificate must chain to (instead of the system store).</summary>
    public string? ServerCaCertificateFile { get; set; }

    /// <summary>
    /// The container engine's Unix socket (Docker executor): Docker's <c>/var/run/docker.sock</c> or podman's
    /// <c>podman system service unix:///PATH</c>; it speaks the Docker Engine API v1.41.
    /// </summary>
    public string DockerSocket { get; set; } = "/var/run/docker.sock";

    /// <summary>How the Docker executor pulls images and limits containers (see <see cref="ContainerOptions"/>).</summary>
    public ContainerOptions Containers { get; set; } = new();

    /// <summary>
    /// The pool this worker joins (0x + 40 hex digits) and its chain id: signed into every session proof, so
    /// a proof relayed to another pool is refused there. Unset: the values the server's challenge names.
    /// </summary>
    public string? PoolAddress { get; set; }

    /// <summary>The chain id of <see cref="PoolAddress"/> (unset: the challenge's).</summary>
    public long? ChainId { get; set; }

    /// <summary>Allow a plain http:// <see cref="ServerUrl"/> to a non-loopback host (the session and its proofs cross the network in clear).</summary>
    public bool Insecure { get; set; }

    /// <summary>How task inputs are fetched (see <see cref="InputOptions"/>).</summary>
    public InputOptions Inputs { get; set; } = new();

    /// <summary>Where the agent's spans, metrics and logs go (see <see cref="WorkerTelemetryOptions"/>).</summary>
    public WorkerTelemetryOptions Telemetry { get; set; } = new();
}

/// <summary>
/// The agent's telemetry export (section <c>OrchestratorWorker:Telemetry</c>), as the silo's
/// <c>Orchestrator:Telemetry</c>: OTLP to a collector, off while no endpoint is set.
/// </summary>
public sealed class WorkerTelemetryOptions
{
    /// <summary>An OTLP collector, e.g. "http://otel-collector:4317": spans, metrics and logs go there. Empty: export off.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The OTLP transport: Grpc (port 4317 by convention) or HttpProtobuf (4318).</summary>
    public WorkerOtlpProtocol OtlpProtocol { get; set; } = WorkerOtlpProtocol.Grpc;

    /// <summary>The service name in every signal's resource (service.name); the instance id is the worker's address.</summary>
    public string ServiceName { get; set; } = "orchestrator-worker";

    /// <summary>True when an endpoint is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(OtlpEndpoint);
}

/// <summary>How the agent's telemetry reaches the collector.</summary>
public enum WorkerOtlpProtocol
{
    /// <summary>OTLP over gRPC.</summary>
    Grpc = 0,

    /// <summary>OTLP over HTTP with protobuf bodies.</summary>
    HttpProtobuf = 1,
}

/// <summary>
/// Rules for fetching task inputs named by requesters (section <c>OrchestratorWorker:Inputs</c>): https only,
/// public addresses only (checked at connect time, after DNS and after each redirect), bounded size and time.
/// </summary>
public sealed class InputOptions
{
    /// <summary>Also accept http:// inputs.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Hosts, IP addresses or CIDR ranges (e.g. <c>files.lan</c>, <c>10.1.2.3</c>, <c>10.0.0.0/8</c>) allowed
    /// even though they are loopback, link-local, private or metadata addresses.
    /// </summary>
    public List<string> AllowList { get; set; } = [];

    /// <summary>Largest input fetched, in bytes.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Longest time one input may take, redirects included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most redirects followed for one input.</summary>
    public int MaxRedirects { get; set; } = 3;
}

/// <summary>The Docker executor's pulls and limits (section <c>OrchestratorWorker:Containers</c>).</summary>
public sealed class ContainerOptions
{
    /// <summary>Longest one image pull attempt may take.</summary>
    public TimeSpan PullTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Pull attempts before the replicate is given back (a missing image is not retried).</summary>
    public int PullAttempts { get; set; } = 3;

    /// <summary>Largest image kept and run, bytes (its unpacked size; default 4 GiB).</summary>
    public long MaxImageBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Most processes an app may run at once.</summary>
    public int PidsLimit { get; set; } = 256;

    /// <summary>Memory limit, MiB, for a task whose deal names none.</summary>
    public int DefaultMemoryMb { get; set; } = 512;
}

/// <summary>The capabilities a worker announces at hello.</summary>
public sealed class CapabilityOptions
{
    /// <summary>TEE kind: None, Sgx or Tdx.</summary>
    public TeeKind Tee { get; set; } = TeeKind.None;

    /// <summary>CPU cores offered.</summary>
    public int Cores { get; set; } = Environment.ProcessorCount;

    /// <summary>Memory offered, MiB.</summary>
    public int MemoryMb { get; set; } = 2048;

    /// <summary>Whether a GPU is offered.</summary>
    public bool Gpu { get; set; }

    /// <summary>Replicates run at once.</summary>
    public int Slots { get; set; } = 2;

    /// <summary>Category ids accepted (empty: every category the pool has).</summary>
    public List<int> Categories { get; set; } = [];
}

/// <summary>One allow-listed app: the address deals name, and what this worker runs for it.</summary>
public sealed class AppOptions
{
    /// <summary>The app's address (0x + 40 hex digits), as in the deal.</summary>
    public string Address { get; set; } = string.Empty;

    /// <summary>Process executor: the command (an absolute path, or a name on PATH).</summary>
    public string? Command { get; set; }

    /// <summary>Arguments placed before the task's own parameters.</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>Docker executor: when set, the only image of this app the worker runs (<c>registry/name@sha256:…</c>); also used when the pool sends none.</summary>
    public string? Image { get; set; }

    /// <summary>Longest run allowed for this app (caps the category's max run time; null: the category's).</summary>
    public TimeSpan? MaxRunTime { get; set; }
}

/// <summary>How the agent starts the trusted runner (OrchestratorWorker:EnclaveRunner).</summary>
public sealed class EnclaveRunnerOptions
{
    /// <summary>The program (e.g. <c>gramine-sgx</c>, or <c>orchestrator-enclave</c> inside a TD); null: no runner.</summary>
    public string? Command { get; set; }

    /// <summary>Its arguments (e.g. <c>orchestrator-enclave --quote-provider Gramine</c>).</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>How long the runner may take to report ready (an enclave's start is slow).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
