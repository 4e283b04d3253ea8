using Microsoft.Extensions.Options;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Worker.Configuration;

/// <summary>Checks <see cref="WorkerOptions"/> at start; every message names the key to fix.</summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    private const string P = WorkerOptions.Section + ":";

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem of the options (empty when they are usable).</summary>
    public static IReadOnlyList<string> Check(WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        CheckServer(options, errors);
        CheckKey(options, errors);
        CheckCapabilities(options.Capabilities, errors);
        CheckTelemetry(options.Telemetry, errors);
        if (string.IsNullOrWhiteSpace(options.ScratchDirectory))
        {
            errors.Add($"{P}ScratchDirectory is required");
        }

        if (!Enum.IsDefined(options.Executor))
        {
            errors.Add($"{P}Executor must be Process or Docker");
        }

        CheckApps(options, errors);
        CheckContainers(options, errors);
        var runner = !string.IsNullOrWhiteSpace(options.EnclaveRunner.Command);
        if (options.Capabilities.Tee != TeeKind.None && !options.SimulatedEnclave && !runner)
        {
            errors.Add($"{P}Capabilities:Tee is {options.Capabilities.Tee} but no enclave is configured: set {P}EnclaveRunner:Command (the trusted runner inside the TEE), or {P}SimulatedEnclave=true (the pool must allow simulated TEE), or Tee=None");
        }

        if (options.SimulatedEnclave && runner)
        {
            errors.Add($"{P}SimulatedEnclave and {P}EnclaveRunner:Command are both set: a worker has one enclave, simulated or real");
        }

        if (runner && options.Capabilities.Tee == TeeKind.None)
        {
            errors.Add($"{P}EnclaveRunner:Command is set but Capabilities:Tee is None: name the TEE the runner runs in (Sgx or Tdx)");
        }

        if (runner && options.EnclaveRunner.StartTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{P}EnclaveRunner:StartTimeout must be positive");
        }

        Positive(options.HeartbeatInterval, "HeartbeatInterval", errors);
        Positive(options.ReconnectInitialDelay, "ReconnectInitialDelay", errors);
        if (options.ReconnectMaxDelay < options.ReconnectInitialDelay)
        {
            errors.Add($"{P}ReconnectMaxDelay must be at least ReconnectInitialDelay");
        }

        if (options.DrainGracePeriod < TimeSpan.Zero)
        {
            errors.Add($"{P}DrainGracePeriod cannot be negative");
        }

        if (options.LogTailBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add($"{P}LogTailBytes must be 1024..16777216 (bytes kept of each output stream), got {options.LogTailBytes}");
        }

        if (options.MaxResultBytes <= 0)
        {
            errors.Add($"{P}MaxResultBytes must be positive");
        }

        if (options.ServerCaCertificateFile is { } ca && !File.Exists(ca))
        {
            errors.Add($"{P}ServerCaCertificateFile: {ca} does not exist");
        }

        return errors;
    }

    private static void CheckServer(WorkerOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.ServerUrl))
        {
            errors.Add($"{P}ServerUrl is required (e.g. https://pool.example:7443)");
        }
        else if (!Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{P}ServerUrl must be an absolute http:// or https:// URL, got '{options.ServerUrl}'");
        }
        else if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback && !options.Insecure)
        {
            errors.Add($"{P}ServerUrl {options.ServerUrl} is plain http to a host that is not loopback: use https:// (the session, its proofs and results would cross the network in clear) or set {P}Insecure=true (--insecure)");
        }

        if (options.PoolAddress is { Length: > 0 } pool && !Address.TryParse(pool, out _, out var poolError))
        {
            errors.Add($"{P}PoolAddress must be 0x + 40 hex digits: {poolError}");
        }

        if (options.ChainId is < 0)
        {
            errors.Add($"{P}ChainId must not be negative");
        }

        foreach (var error in Session.InputRules.Check(options.Inputs))
        {
            errors.Add($"{P}Inputs:{error}");
        }
    }

    private static void CheckKey(WorkerOptions options, List<string> errors)
    {
        // The key's text is never echoed in a message: only what is wrong with it.
        var hasInline = !string.IsNullOrWhiteSpace(options.PrivateKey);
        var hasFile = !string.IsNullOrWhiteSpace(options.PrivateKeyFile);
        if (hasInline == hasFile)
        {
            errors.Add($"{P}PrivateKeyFile or {P}PrivateKey (environment OrchestratorWorker__PrivateKey): exactly one is required");
            return;
        }

        if (hasFile && !File.Exists(options.PrivateKeyFile))
        {
            errors.Add($"{P}PrivateKeyFile: {options.PrivateKeyFile} does not exist");
            return;
        }

        if (!WorkerIdentity.TryLoad(options, out _, out var error))
        {
            errors.Add(error);
        }
    }

    private static void CheckTelemetry(WorkerTelemetryOptions telemetry, List<string> errors)
    {
        if (telemetry.Enabled && (!Uri.TryCreate(telemetry.OtlpEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            errors.Add($"{P}Telemetry:OtlpEndpoint must be an absolute http:// or https:// URL such as http://otel-collector:4317, got '{telemetry.OtlpEndpoint}'");
        }

        if (!Enum.IsDefined(telemetry.OtlpProtocol)) errors.Add($"{P}Telemetry:OtlpProtocol must be Grpc or HttpProtobuf");
        if (string.IsNullOrWhiteSpace(telemetry.ServiceName)) errors.Add($"{P}Telemetry:ServiceName is required");
    }

    private static void CheckCapabilities(CapabilityOptions c, List<string> errors)
    {
        if (!Enum.IsDefined(c.Tee)) errors.Add($"{P}Capabilities:Tee must be None, Sgx or Tdx");
        if (c.Cores is < 1 or > 4096) errors.Add($"{P}Capabilities:Cores must be 1..4096");
        if (c.MemoryMb is < 64 or > 16 * 1024 * 1024) errors.Add($"{P}Capabilities:MemoryMb must be 64..16777216");
        if (c.Slots is < 1 or > 1024) errors.Add($"{P}Capabilities:Slots must be 1..1024");
        if (c.Categories.Any(id => id < 0)) errors.Add($"{P}Capabilities:Categories must be non-negative category ids");
    }

    private static void CheckApps(WorkerOptions options, List<string> errors)
    {
        // The Docker executor runs the image the pool sends, so its list is only a restriction and may be empty.
        if (options.Apps.Count == 0 && options.Executor == ExecutorKind.Process)
        {
            errors.Add($"{P}Apps is empty: list at least one app (Address and Command) the worker agrees to run with the Process executor");
        }

        var seen = new HashSet<Address>();
        for (var i = 0; i < options.Apps.Count; i++)
        {
            var app = options.Apps[i];
            var key = $"{P}Apps:{i}";
            if (!Address.TryParse(app.Address, out var address, out var error))
            {
                errors.Add($"{key}:Address: {error}");
            }
            else if (!seen.Add(address))
            {
                errors.Add($"{key}:Address: {address} is listed twice");
            }

            if (options.Executor == ExecutorKind.Process && string.IsNullOrWhiteSpace(app.Command))
            {
                errors.Add($"{key}:Command is required with the Process executor");
            }

            if (options.Executor == ExecutorKind.Docker && !string.IsNullOrWhiteSpace(app.Image)
                && !Domain.Containers.ImageReference.TryParse(app.Image, out _, out var imageError))
            {
                errors.Add($"{key}:Image: {imageError}");
            }

            if (app.MaxRunTime is { } max && max <= TimeSpan.Zero)
            {
                errors.Add($"{key}:MaxRunTime must be positive");
            }
        }
    }

    private static void CheckContainers(WorkerOptions options, List<string> errors)
    {
        if (options.Executor != ExecutorKind.Docker)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(options.DockerSocket) || !Path.IsPathFullyQualified(options.DockerSocket))
        {
            errors.Add($"{P}DockerSocket must be the absolute path of the container engine's Unix socket (e.g. /var/run/docker.sock), got '{options.DockerSocket}'");
        }

        var c = options.Containers;
        if (c.PullTimeout <= TimeSpan.Zero) errors.Add($"{P}Containers:PullTimeout must be positive");
        if (c.PullAttempts is < 1 or > 10) errors.Add($"{P}Containers:PullAttempts must be 1..10, got {c.PullAttempts}");
        if (c.MaxImageBytes <= 0) errors.Add($"{P}Containers:MaxImageBytes must be positive");
        if (c.PidsLimit is < 8 or > 65536) errors.Add($"{P}Containers:PidsLimit must be 8..65536, got {c.PidsLimit}");
        if (c.DefaultMemoryMb is < 6 or > 16 * 1024 * 1024) errors.Add($"{P}Containers:DefaultMemoryMb must be 6..16777216, got {c.DefaultMemoryMb}");
    }

    private static void Positive(TimeSpan value, string name, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{P}{name} must be positive");
        }
    }
}
