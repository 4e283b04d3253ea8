using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orchestrator.Domain.Containers;
using Orchestrator.Worker.Execution.Containers;

namespace Orchestrator.Worker.Execution;

/// <summary>How the Docker executor uses its engine.</summary>
/// <param name="AgentId">The agent's id (its worker address): every container it creates carries it as a label.</param>
/// <param name="Pull">How images are pulled.</param>
/// <param name="PidsLimit">Most processes an app may run at once.</param>
/// <param name="MaxResultBytes">The largest result archive.</param>
public sealed record DockerExecutorSettings(string AgentId, PullPolicy Pull, int PidsLimit, long MaxResultBytes);

/// <summary>
/// Runs an app from its image, by digest, as a container through the Docker Engine API (Docker, or
/// podman's compatible service): the image is pulled (or found in the engine's cache by digest) and
/// checked (<see cref="ImagePuller"/>), the container is made by <see cref="ContainerSpec"/> (no network,
/// read-only root, no capabilities, no new privileges, the task's memory, CPU and pids limits, input
/// read-only), killed at its max run time, its logs kept as a process's are, and removed after success,
/// failure, timeout or cancellation. A container the kernel's OOM killer ended is reported as over its
/// memory limit. Containers are labelled with the agent's id so a restarted agent removes what a killed
/// one left (<see cref="RemoveLeftoversAsync"/>).
/// </summary>
public sealed partial class DockerExecutor(DockerEngineClient engine, DockerExecutorSettings settings, TimeProvider time, ILogger<DockerExecutor> logger) : IExecutor
{
    private const int SigKillExit = 137;
    private readonly ImagePuller _images = new(engine, settings.Pull, time);

    /// <summary>Where the input directory is mounted in the container.</summary>
    public const string ContainerInput = ContainerSpec.ContainerInput;

    /// <summary>Where the output directory is mounted in the container.</summary>
    public const string ContainerOutput = ContainerSpec.ContainerOutput;

    /// <summary>Where a TEE task's secrets directory is mounted (read-only) in the container.</summary>
    public const string ContainerSecrets = ContainerSpec.ContainerSecrets;

    /// <summary>The image cache and puller (exposed for the pull figures).</summary>
    public ImagePuller Images => _images;

    /// <summary>
    /// Removes every container and volume labelled with this agent's id: what a killed agent left. Run at
    /// start, before any task; returns how many it removed. Throws when the engine does not answer.
    /// </summary>
    public async Task<int> RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var id in await engine.ListContainersAsync(ContainerSpec.AgentLabel, settings.AgentId, cancellationToken).ConfigureAwait(false))
        {
            await engine.RemoveContainerAsync(id, cancellationToken).ConfigureAwait(false);
            removed++;
        }

        foreach (var volume in await engine.ListVolumesAsync(ContainerSpec.AgentLabel, settings.AgentId, cancellationToken).ConfigureAwait(false))
        {
            await engine.RemoveVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
            removed++;
        }

        if (removed > 0)
        {
            LogLeftovers(logger, removed, settings.AgentId);
        }

        return removed;
    }

    /// <inheritdoc />
    public async Task<ExecutionResult> RunAsync(ExecutionRequest request, TaskWorkspace workspace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        if (!AppArguments.TrySplit(request.Params, out var taskArguments, out var argumentError))
        {
            return ExecutionResult.Fail($"task parameters: {argumentError}");
        }

        if (!ImageReference.TryParse(request.App.Image, out var image, out var imageError))
        {
            return ExecutionResult.Fail($"app {request.App.Address}: {imageError}");
        }

        try
        {
            var fetch = await _images.EnsureAsync(image, cancellationToken).ConfigureAwait(false);
            LogImage(logger, request.TaskId.ToString(), image.ToString(), fetch.Pulled ? "pulled" : "cached");
        }
        catch (ImageRefusedException ex)
        {
            return ExecutionResult.Fail(ex.Message);
        }

        workspace.WriteInputs(request.Inputs);
        workspace.WriteSecrets(request.Secrets);
        try
        {
            return await RunContainerAsync(request, workspace, image, taskArguments, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerEngineException ex)
        {
            return ExecutionResult.Fail($"the container engine refused the run: {ex.Message}");
        }
        finally
        {
            workspace.DeleteSecrets();
        }
    }

    private async Task<ExecutionResult> RunContainerAsync(
        ExecutionRequest request, TaskWorkspace workspace, ImageReference image, IReadOnlyList<string> taskArguments, CancellationToken cancellationToken)
    {
        var body = ContainerSpec.Build(request, workspace, image.ToString(), settings.AgentId, taskArguments, settings.PidsLimit);
        var id = await engine.CreateContainerAsync(ContainerSpec.Name(request), body, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var timedOut = false;
        try
        {
            LogStarting(logger, request.TaskId.ToString(), image.ToString(), request.MaxRunTime);
            await engine.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var overrun = new CancellationTokenSource(request.MaxRunTime, time);
            using var link = overrun.Token.Register(limit.Cancel);
            try
            {
                await engine.WaitContainerAsync(id, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Over its time, or the task was cancelled: either way it stops now.
                await engine.KillContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                timedOut = true;
            }

            var duration = clock.Elapsed;
            var exit = await engine.InspectExitAsync(id, CancellationToken.None).ConfigureAwait(false);
            await KeepLogsAsync(id, workspace, request.LogTailBytes).ConfigureAwait(false);
            if (timedOut)
            {
                return ProcessExecutor.Collect(new ProcessExit(null, true, duration, null), request.MaxRunTime, workspace, settings.MaxResultBytes);
            }

            // The agent kills only on overrun or cancellation (handled above), so a SIGKILL here came from the
            // kernel; podman does not always set OOMKilled under cgroup v1, hence the exit code as well.
            if (exit.OomKilled || exit.ExitCode == SigKillExit)
            {
                return ExecutionResult.Fail(
                    $"the app went over its memory limit of {request.MemoryMb} MiB and was killed (out of memory, exit {exit.ExitCode})", exit.ExitCode, duration);
            }

            return ProcessExecutor.Collect(new ProcessExit(exit.ExitCode, false, duration, null), request.MaxRunTime, workspace, settings.MaxResultBytes);
        }
        finally
        {
            // After success, failure, timeout or cancellation alike: nothing of the run stays in the engine.
            await engine.RemoveContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task KeepLogsAsync(string id, TaskWorkspace workspace, int tailBytes)
    {
        var stdout = new LogTail(tailBytes);
        var stderr = new LogTail(tailBytes);
        await engine.CopyLogsAsync(id, stdout, stderr, CancellationToken.None).ConfigureAwait(false);
        Directory.CreateDirectory(workspace.LogDirectory);
        stdout.AppendTo(Path.Combine(workspace.LogDirectory, "stdout.log"));
        stderr.AppendTo(Path.Combine(workspace.LogDirectory, "stderr.log"));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: running image {Image} (max run time {MaxRunTime})")]
    private static partial void LogStarting(ILogger logger, string taskId, string image, TimeSpan maxRunTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: image {Image} {How}")]
    private static partial void LogImage(ILogger logger, string taskId, string image, string how);

    [LoggerMessage(Level = LogLevel.Warning, Message = "removed {Count} container(s) and volume(s) left by an earlier run of agent {AgentId}")]
    private static partial void LogLeftovers(ILogger logger, int count, string agentId);
}
