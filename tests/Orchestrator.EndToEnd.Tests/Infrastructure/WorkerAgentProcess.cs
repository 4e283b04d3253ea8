using System.Text.Json;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>How a test worker maps the deal's app to a local script (its allow-list).</summary>
/// <param name="Address">The app address.</param>
/// <param name="Script">The script the worker runs for it.</param>
/// <param name="Arguments">Arguments before the task's own.</param>
public sealed record TestApp(Address Address, string Script, params string[] Arguments);

/// <summary>A real `orchestrator-worker` process with its own key, scratch directory and allow-list.</summary>
public sealed class WorkerAgentProcess : IDisposable
{
    private WorkerAgentProcess(string name, Address address, string scratch, ChildProcess process)
    {
        Name = name;
        Address = address;
        Scratch = scratch;
        Process = process;
    }

    /// <summary>The name in messages.</summary>
    public string Name { get; }

    /// <summary>The worker's address.</summary>
    public Address Address { get; }

    /// <summary>Its scratch directory (workspaces, journal).</summary>
    public string Scratch { get; }

    /// <summary>The process.</summary>
    public ChildProcess Process { get; }

    /// <summary>
    /// Authorizes a new worker key with the pool, then starts its agent: an agent started first may reach
    /// the pool before its authorization and exit refused (as it must).
    /// </summary>
    public static async Task<WorkerAgentProcess> StartAuthorizedAsync(IWorkerPool server, string name, TestApp app, int slots = 2, TimeSpan? drainGrace = null, string tee = "None")
    {
        var key = Secp256k1.NewPrivateKey();
        await server.AuthorizeAsync(Secp256k1.AddressOf(key));
        return Launch(key, server, name, app, slots, drainGrace, tee);
    }

    /// <summary>
    /// Authorizes a new worker key, then starts an agent with the Docker executor on the engine at
    /// <paramref name="dockerSocket"/> and no app list: it runs whatever image by digest the pool sends.
    /// </summary>
    public static async Task<WorkerAgentProcess> StartDockerAuthorizedAsync(IWorkerPool server, string name, string dockerSocket, int slots = 2, string tee = "None")
    {
        var key = Secp256k1.NewPrivateKey();
        await server.AuthorizeAsync(Secp256k1.AddressOf(key));
        return Launch(key, server, name, null, slots, null, tee, dockerSocket);
    }

    /// <summary>
    /// Authorizes a new worker key, then starts a hardware-TEE agent (<paramref name="tee"/>, no simulated enclave) whose
    /// trusted runner is <c>dotnet orchestrator-enclave.dll <paramref name="runnerArguments"/></c>.
    /// </summary>
    public static async Task<WorkerAgentProcess> StartWithRunnerAsync(IWorkerPool server, string name, TestApp app, string tee, params string[] runnerArguments)
    {
        var key = Secp256k1.NewPrivateKey();
        await server.AuthorizeAsync(Secp256k1.AddressOf(key));
        return Launch(key, server, name, app, 2, null, tee, runner: [Path.Combine(Build.CliDirectory(), "orchestrator-enclave.dll"), .. runnerArguments]);
    }

    /// <summary>Writes a key and a configuration, starts the agent against <paramref name="server"/> without authorizing it.</summary>
    public static WorkerAgentProcess Start(IWorkerPool server, string name, TestApp app, int slots = 2, TimeSpan? drainGrace = null, string tee = "None") =>
        Launch(Secp256k1.NewPrivateKey(), server, name, app, slots, drainGrace, tee);

    private static WorkerAgentProcess Launch(byte[] key, IWorkerPool server, string name, TestApp? app, int slots, TimeSpan? drainGrace, string tee, string? dockerSocket = null, string[]? runner = null)
    {
        var dir = Path.Combine(server.Directory, name);
        Directory.CreateDirectory(dir);
        var keyFile = Path.Combine(dir, "worker.key");
        File.WriteAllText(keyFile, Hex.Encode(key));
        var config = Path.Combine(dir, "worker.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            OrchestratorWorker = new
            {
                ServerUrl = server.Url,
                PrivateKeyFile = keyFile,
                ScratchDirectory = Path.Combine(dir, "scratch"),
                Capabilities = new { Tee = tee, Cores = 1, MemoryMb = 1024, Slots = slots },
                SimulatedEnclave = tee != "None" && runner is null,
                EnclaveRunner = new { Command = runner is null ? null : "dotnet", Arguments = runner ?? [] },
                Apps = app is null ? [] : new[] { new { Address = app.Address.ToString(), Command = app.Script, Arguments = app.Arguments } },
                Executor = dockerSocket is null ? "Process" : "Docker",
                DockerSocket = dockerSocket ?? "/var/run/docker.sock",
                HeartbeatInterval = "00:00:01",
                DrainGracePeriod = (drainGrace ?? TimeSpan.FromSeconds(10)).ToString(),
                ReconnectInitialDelay = "00:00:00.200",
                ReconnectMaxDelay = "00:00:02",
            },
        }));
        var process = ChildProcess.Start(name, Build.Worker, ["--config", config]);
        var address = Secp256k1.AddressOf(key);
        return new WorkerAgentProcess(name, address, Path.Combine(dir, "scratch", address.ToLowerHex()), process);
    }

    /// <summary>Starts this agent again with the same key, configuration and scratch directory, as a supervisor restarts a killed one.</summary>
    public WorkerAgentProcess Restart()
    {
        var dir = Path.GetDirectoryName(Path.GetDirectoryName(Scratch))!; // <server>/<name>/scratch/<address>
        return new WorkerAgentProcess(Name, Address, Scratch, ChildProcess.Start(Name + "-restarted", Build.Worker, ["--config", Path.Combine(dir, "worker.json")]));
    }

    /// <inheritdoc />
    public void Dispose() => Process.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Address})";
}
