using Orchestrator.Domain.Results;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Worker.Execution;

/// <summary>
/// Runs an allow-listed app as a local command in the task's workspace: argv = the app's configured
/// arguments then the task's parameters; environment = the iExec variables (with a TEE task's secrets, see IexecEnvironment.Secrets) plus PATH, HOME (the
/// workspace) and LANG=C.UTF-8 — nothing else of the agent's. Killed (whole tree) at its max run time.
/// The output directory becomes the result archive.
/// </summary>
public sealed partial class ProcessExecutor(long maxResultBytes, ILogger<ProcessExecutor> logger) : IExecutor
{
    /// <inheritdoc />
    public async Task<ExecutionResult> RunAsync(ExecutionRequest request, TaskWorkspace workspace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        if (string.IsNullOrWhiteSpace(request.App.Command))
        {
            return ExecutionResult.Fail($"app {request.App.Address} has no command configured");
        }

        if (!AppArguments.TrySplit(request.Params, out var taskArguments, out var argumentError))
        {
            return ExecutionResult.Fail($"task parameters: {argumentError}");
        }

        workspace.WriteInputs(request.Inputs);
        workspace.WriteSecrets(request.Secrets);
        var environment = IexecEnvironment.For(request, workspace.InputDirectory, workspace.OutputDirectory);
        foreach (var (name, value) in IexecEnvironment.Secrets(request, workspace.SecretDirectory))
        {
            environment[name] = value;
        }

        environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        environment["HOME"] = workspace.Root;
        environment["LANG"] = "C.UTF-8";
        environment["TMPDIR"] = workspace.Root;

        LogStarting(logger, request.TaskId.ToString(), request.App.Command, request.MaxRunTime);
        ProcessExit exit;
        try
        {
            exit = await ProcessRunner.RunAsync(
                request.App.Command, [.. request.App.Arguments, .. taskArguments], environment,
                workspace.Root, workspace.LogDirectory, request.MaxRunTime, null, cancellationToken, request.LogTailBytes).ConfigureAwait(false);
        }
        finally
        {
            workspace.DeleteSecrets();
        }

        return Collect(exit, request.MaxRunTime, workspace, maxResultBytes);
    }

    /// <summary>Turns a process exit into a result, archiving the output when the app succeeded.</summary>
    internal static ExecutionResult Collect(ProcessExit exit, TimeSpan maxRunTime, TaskWorkspace workspace, long maxResultBytes)
    {
        if (exit.StartError is not null)
        {
            return ExecutionResult.Fail(exit.StartError);
        }

        if (exit.TimedOut)
        {
            return new ExecutionResult
            {
                Outcome = ExecutionOutcome.TimedOut,
                Duration = exit.Duration,
                Message = $"the app ran longer than its max run time ({maxRunTime}) and was killed",
            };
        }

        if (exit.ExitCode != 0)
        {
            return ExecutionResult.Fail($"the app exited with code {exit.ExitCode} (see {workspace.LogDirectory}/stderr.log)", exit.ExitCode, exit.Duration);
        }

        try
        {
            var digest = ResultArchive.Build(workspace.OutputDirectory, workspace.ArchivePath, maxResultBytes);
            return new ExecutionResult
            {
                Outcome = ExecutionOutcome.Completed,
                ExitCode = 0,
                ResultDigest = digest,
                ArchivePath = workspace.ArchivePath,
                CallbackData = ResultArchive.CallbackDataOf(workspace.OutputDirectory),
                Duration = exit.Duration,
            };
        }
        catch (ResultArchiveException ex)
        {
            return ExecutionResult.Fail(ex.Message, 0, exit.Duration);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: running {Command} (max run time {MaxRunTime})")]
    private static partial void LogStarting(ILogger logger, string taskId, string command, TimeSpan maxRunTime);
}
