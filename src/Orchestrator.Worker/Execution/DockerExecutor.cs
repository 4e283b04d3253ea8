using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Worker.Execution;

/// <summary>
/// Runs an allow-listed app as a container through the docker CLI: the image from the allow-list
/// (never from the server), no network, the deal's memory and CPU as limits, a pids limit, all
/// capabilities dropped, no new privileges, a read-only root file system, the input directory
/// mounted read-only at <c>/iexec_in</c> and the output at <c>/iexec_out</c> (a TEE task's secrets
/// read-only at <c>/iexec_secrets</c>, their variables passed by name only). On timeout the container
/// is killed by name. Written for deployments with a Docker engine; this repository tests only the
/// command it builds (<see cref="BuildRunArguments"/>).
/// </summary>
public sealed partial class DockerExecutor(string dockerPath, long maxResultBytes, ILogger<DockerExecutor> logger) : IExecutor
{
    /// <summary>Where the input directory is mounted in the container.</summary>
    public const string ContainerInput = "/iexec_in";

    /// <summary>Where the output directory is mounted in the container.</summary>
    public const string ContainerOutput = "/iexec_out";

    /// <summary>Where a TEE task's secrets directory is mounted (read-only) in the container.</summary>
    public const string ContainerSecrets = "/iexec_secrets";

    /// <inheritdoc />
    public async Task<ExecutionResult> RunAsync(ExecutionRequest request, TaskWorkspace workspace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        if (!AppArguments.TrySplit(request.Params, out var taskArguments, out var argumentError))
        {
            return ExecutionResult.Fail($"task parameters: {argumentError}");
        }

        if (string.IsNullOrWhiteSpace(request.App.Image))
        {
            return ExecutionResult.Fail($"app {request.App.Address} has no image configured");
        }

        workspace.WriteInputs(request.Inputs);
        workspace.WriteSecrets(request.Secrets);
        var name = ContainerName(request);
        var arguments = BuildRunArguments(request, workspace, name, taskArguments);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = workspace.Root,
        };
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { } host)
        {
            environment["DOCKER_HOST"] = host;
        }

        // Secret values go to the container through the docker CLI's environment ("--env NAME"), never its argv (visible in ps).
        foreach (var (key, value) in IexecEnvironment.Secrets(request, ContainerSecrets))
        {
            environment[key] = value;
        }

        LogStarting(logger, request.TaskId.ToString(), request.App.Image, request.MaxRunTime);
        ProcessExit exit;
        try
        {
            exit = await ProcessRunner.RunAsync(
                dockerPath, arguments, environment, workspace.Root, workspace.LogDirectory, request.MaxRunTime,
                () => KillContainerAsync(name, environment, workspace), cancellationToken, request.LogTailBytes).ConfigureAwait(false);
        }
        finally
        {
            workspace.DeleteSecrets();
        }

        return ProcessExecutor.Collect(exit, request.MaxRunTime, workspace, maxResultBytes);
    }

    /// <summary>The container's name: unique per task, so a timeout kills exactly it.</summary>
    public static string ContainerName(ExecutionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return "orch-" + request.TaskId.ToString()[2..26];
    }

    /// <summary>The <c>docker run</c> argv for a request (everything after the docker program).</summary>
    public static IReadOnlyList<string> BuildRunArguments(ExecutionRequest request, TaskWorkspace workspace, string containerName, IReadOnlyList<string> taskArguments)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(taskArguments);
        var image = request.App.Image ?? throw new ArgumentException("the app has no image", nameof(request));
        if (image.StartsWith('-'))
        {
            throw new ArgumentException($"image '{image}' looks like an option", nameof(request));
        }

        var args = new List<string>
        {
            "run", "--rm",
            "--name", containerName,
            "--network", "none",
            "--memory", request.MemoryMb.ToString(CultureInfo.InvariantCulture) + "m",
            "--memory-swap", request.MemoryMb.ToString(CultureInfo.InvariantCulture) + "m",
            "--cpus", request.Cores.ToString(CultureInfo.InvariantCulture),
            "--pids-limit", "256",
            "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--read-only",
            "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m",
            "--mount", $"type=bind,source={workspace.InputDirectory},target={ContainerInput},readonly",
            "--mount", $"type=bind,source={workspace.OutputDirectory},target={ContainerOutput}",
        };
        foreach (var (key, value) in IexecEnvironment.For(request, ContainerInput, ContainerOutput).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            args.Add("--env");
            args.Add($"{key}={value}");
        }

        if (request.Secrets.Count > 0)
        {
            args.Add("--mount");
            args.Add($"type=bind,source={workspace.SecretDirectory},target={ContainerSecrets},readonly");
            foreach (var key in IexecEnvironment.Secrets(request, ContainerSecrets).Keys.Order(StringComparer.Ordinal))
            {
                args.Add("--env");
                args.Add(key); // the value comes from the docker CLI's environment
            }
        }

        // Everything after the image is the container's argv: the app's configured arguments, then the task's.
        args.Add(image);
        args.AddRange(request.App.Arguments);
        args.AddRange(taskArguments);
        return args;
    }

    private async Task KillContainerAsync(string name, IReadOnlyDictionary<string, string> environment, TaskWorkspace workspace)
    {
        await ProcessRunner.RunAsync(dockerPath, ["kill", name], environment, workspace.Root, workspace.LogDirectory,
            TimeSpan.FromSeconds(30), null, CancellationToken.None).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: running image {Image} (max run time {MaxRunTime})")]
    private static partial void LogStarting(ILogger logger, string taskId, string image, TimeSpan maxRunTime);
}
