using System.Runtime.InteropServices;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Simulation;
using Orchestrator.Worker.Execution;
using Orchestrator.Worker.Execution.Containers;
using Orchestrator.Worker.Session;

namespace Orchestrator.Worker.Hosting;

/// <summary>
/// The agent's entry point, shared by <c>orchestrator-worker</c> and <c>orchestrator worker</c>.
/// Configuration, later sources winning: orchestrator-worker.settings.json beside the program, <c>--config FILE</c>,
/// environment (<c>OrchestratorWorker__Key</c>), command line (<c>--OrchestratorWorker:Key=value</c>
/// or the short switches below). Logs go to stderr.
/// </summary>
public static class WorkerProgram
{
    /// <summary>Short command-line switches for the keys set most often.</summary>
    public static IReadOnlyDictionary<string, string> Switches { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--server"] = "OrchestratorWorker:ServerUrl",
        ["--key-file"] = "OrchestratorWorker:PrivateKeyFile",
        ["--scratch"] = "OrchestratorWorker:ScratchDirectory",
        ["--slots"] = "OrchestratorWorker:Capabilities:Slots",
        ["--tee"] = "OrchestratorWorker:Capabilities:Tee",
        ["--executor"] = "OrchestratorWorker:Executor",
        ["--docker-socket"] = "OrchestratorWorker:DockerSocket",
        ["--simulated-enclave"] = "OrchestratorWorker:SimulatedEnclave",
        ["--insecure"] = "OrchestratorWorker:Insecure",
        ["--pool"] = "OrchestratorWorker:PoolAddress",
    };

    /// <summary>Runs the agent (or <c>keygen</c>); returns the process exit code (<see cref="WorkerExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["keygen", .. var rest])
        {
            return KeyGen(rest);
        }

        if (args is ["--help" or "-h" or "help", ..])
        {
            await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        IConfiguration configuration;
        try
        {
            configuration = BuildConfiguration(args);
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException or InvalidDataException or ArgumentException)
        {
            await Console.Error.WriteLineAsync("orchestrator-worker: " + ex.Message).ConfigureAwait(false);
            return WorkerExitCodes.BadConfiguration;
        }

        var options = new WorkerOptions();
        try
        {
            configuration.GetSection(WorkerOptions.Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync("orchestrator-worker: configuration: " + ex.Message + (ex.InnerException is { } inner ? " " + inner.Message : string.Empty)).ConfigureAwait(false);
            return WorkerExitCodes.BadConfiguration;
        }

        var errors = WorkerOptionsValidator.Check(options);
        if (errors.Count > 0)
        {
            await Console.Error.WriteLineAsync("orchestrator-worker: invalid configuration:\n  " + string.Join("\n  ", errors)).ConfigureAwait(false);
            return WorkerExitCodes.BadConfiguration;
        }

        WorkerIdentity.TryLoad(options, out var identity, out _);
        using var loggers = LoggerFactory.Create(b =>
        {
            b.AddConfiguration(configuration.GetSection("Logging"))
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            AgentTelemetry.AddLogExport(b, options.Telemetry, identity?.Address);
        });
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            return await RunAgentAsync(options, identity!, loggers, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync("orchestrator-worker: crashed: " + ex).ConfigureAwait(false);
            return WorkerExitCodes.Crashed;
        }
    }

    /// <summary>
    /// Builds and runs an agent from validated options until <paramref name="stop"/>, then drains.
    /// <paramref name="addTraceExporters"/> adds span exporters beside the configured OTLP one (tests read spans in memory).
    /// </summary>
    public static async Task<int> RunAgentAsync(WorkerOptions options, WorkerIdentity identity, ILoggerFactory loggers, CancellationToken stop,
        Action<OpenTelemetry.Trace.TracerProviderBuilder>? addTraceExporters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger("Orchestrator.Worker");
        using var telemetry = AgentTelemetry.Start(options.Telemetry, identity.Address, addTraceExporters);

        // Each worker key gets its own directory: two agents sharing a scratch directory must never
        // share workspaces (one would wipe the other's run of the same task) or a journal (one would
        // contribute what the other computed).
        options.ScratchDirectory = Path.Combine(Path.GetFullPath(options.ScratchDirectory), identity.Address.ToLowerHex());
        Directory.CreateDirectory(options.ScratchDirectory);
        var serverCertificate = new ServerCertificateObserver();
        using var channel = GrpcChannels.Create(options, serverCertificate);
        using var inputs = new InputFetcher(options.Inputs);
        using var enclave = options.SimulatedEnclave && options.Capabilities.Tee != Domain.Deals.TeeKind.None
            ? new SimulatedEnclave(options.Capabilities.Tee, platformKeyPath: Path.Combine(options.ScratchDirectory, "simulated-platform-key.pem"))
            : null;
        var client = new WorkerSession.WorkerSessionClient(channel);
        var journal = new TaskJournal(options.ScratchDirectory);
        var sessions = new SessionGate();
        using var engine = options.Executor == ExecutorKind.Docker ? new DockerEngineClient(options.DockerSocket) : null;
        IExecutor executor = new ProcessExecutor(options.MaxResultBytes, loggers.CreateLogger<ProcessExecutor>());
        if (engine is not null)
        {
            var docker = new DockerExecutor(engine, DockerSettings(options, identity), TimeProvider.System, loggers.CreateLogger<DockerExecutor>());
            // Before any task: what a killed earlier run of this agent left in the engine goes (and an engine that does not answer stops the start).
            await docker.RemoveLeftoversAsync(stop).ConfigureAwait(false);
            executor = docker;
        }

        var pipeline = new ReplicatePipeline(options, identity, new AppCatalog(options.Apps), executor, journal, sessions,
            inputs, new ResultUploader(client, identity),
            new TaskSecretsClient(new Api.Secrets.V1.EnclaveSecrets.EnclaveSecretsClient(channel), identity, TimeProvider.System), TimeProvider.System, logger);
        // A hardware TEE worker's trusted runner (started at the first session, inside the TEE by its command).
        await using var runner = !string.IsNullOrWhiteSpace(options.EnclaveRunner.Command) ? new Enclave.EnclaveRunnerHost(options.EnclaveRunner) : null;
        if (runner is not null && !await RunnerStartsAsync(runner, logger, stop).ConfigureAwait(false))
        {
            return WorkerExitCodes.NoEnclave;
        }

        var agent = new WorkerAgent(options, identity, client, pipeline, enclave, journal, sessions, TimeProvider.System, logger, serverCertificate, runner);
        return await agent.RunAsync(stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the trusted runner before the first session: a runner that cannot start (its quote interface is
    /// missing, so this is not a TDX guest or not inside Gramine) would fail every handshake while the agent
    /// reconnected forever. False after one line naming the missing interface, as the runner printed it.
    /// </summary>
    private static async Task<bool> RunnerStartsAsync(Enclave.EnclaveRunnerHost runner, ILogger logger, CancellationToken stop)
    {
        try
        {
            await runner.CurrentAsync(stop).ConfigureAwait(false);
            return true;
        }
        catch (Enclave.EnclaveRunnerException ex)
        {
            WorkerLog.NoEnclave(logger, ex.Message);
            await Console.Error.WriteLineAsync("orchestrator-worker: " + ex.Message).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>The Docker executor's settings from the options; containers are labelled with the worker's address.</summary>
    public static DockerExecutorSettings DockerSettings(WorkerOptions options, WorkerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        var c = options.Containers;
        return new DockerExecutorSettings(identity.Address.ToLowerHex(), new PullPolicy(c.PullTimeout, c.PullAttempts, c.MaxImageBytes, TimeSpan.FromSeconds(1)),
            c.PidsLimit, options.MaxResultBytes);
    }

    /// <summary>The configuration from every source (see the class summary).</summary>
    public static IConfiguration BuildConfiguration(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "orchestrator-worker.settings.json"), optional: true);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                if (i + 1 >= args.Length) throw new ArgumentException("--config needs a file");
                var file = Path.GetFullPath(args[++i]);
                if (!File.Exists(file)) throw new FileNotFoundException($"configuration file {file} does not exist");
                builder.AddJsonFile(file, optional: false);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return builder.AddEnvironmentVariables().AddCommandLine([.. rest], Switches.ToDictionary()).Build();
    }

    private static int KeyGen(string[] args)
    {
        if (args is not ["--out", var path])
        {
            Console.Error.WriteLine("usage: orchestrator-worker keygen --out FILE   (writes a new secp256k1 key, prints its address)");
            return WorkerExitCodes.BadConfiguration;
        }

        if (File.Exists(path))
        {
            Console.Error.WriteLine($"orchestrator-worker: {path} exists; refusing to overwrite a key");
            return WorkerExitCodes.BadConfiguration;
        }

        var key = Secp256k1.NewPrivateKey();
        File.WriteAllText(path, Hex.Encode(key) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Console.WriteLine(Secp256k1.AddressOf(key).ToString());
        return 0;
    }

    private const string Usage = """
        orchestrator-worker: the workerpool's worker agent.

          orchestrator-worker [--config FILE] [--server URL] [--key-file FILE] [--scratch DIR] [--slots N]
                              [--tee None|Sgx|Tdx] [--simulated-enclave true] [--executor Process|Docker]
                              [--docker-socket PATH] [--pool 0xPOOL] [--insecure true]
                              [--OrchestratorWorker:Key=value ...]
          orchestrator-worker keygen --out FILE

        Every key of section OrchestratorWorker can come from orchestrator-worker.settings.json (beside the program), --config FILE, the
        environment (OrchestratorWorker__ServerUrl, OrchestratorWorker__PrivateKey, ...) or the command
        line. Process executor: apps are allow-listed, OrchestratorWorker:Apps:0:Address and :Command. Docker executor
        (--docker-socket PATH): the app's image by digest comes with each task; a non-empty Apps list restricts which apps run.
        SIGTERM drains: running work finishes within DrainGracePeriod, the rest is given back; exit 0.
        Exit codes: 0 drained, 1 crashed, 2 bad configuration, 3 refused by the server.
        """;
}
