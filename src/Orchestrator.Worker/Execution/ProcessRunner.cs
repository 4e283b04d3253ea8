using System.Diagnostics;

namespace Orchestrator.Worker.Execution;

/// <summary>How a child process ended.</summary>
/// <param name="ExitCode">Its exit code (null when it was killed).</param>
/// <param name="TimedOut">It outlived its time and was killed.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="StartError">Why it could not start (null when it started).</param>
public sealed record ProcessExit(int? ExitCode, bool TimedOut, TimeSpan Duration, string? StartError);

/// <summary>
/// Starts a child process with exactly the environment given (nothing of the agent's own, so its key
/// cannot leak), keeps the last <c>logTailBytes</c> of its stdout and of its stderr (appended to
/// stdout.log and stderr.log when it ends: the end of an output says why an app failed, and a chatty
/// app cannot fill the worker's memory or disk), and kills the whole process tree on timeout or cancellation.
/// </summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="fileName"/> to completion, timeout or cancellation.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments (passed as an argv, never through a shell).</param>
    /// <param name="environment">Its whole environment.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <param name="logDirectory">Where stdout.log and stderr.log are written.</param>
    /// <param name="timeout">Killed after this long.</param>
    /// <param name="onKill">Called after a kill (e.g. to stop a container the client started); may be null.</param>
    /// <param name="cancellationToken">Kills the process and throws when cancelled.</param>
    /// <param name="logTailBytes">How much of the end of each output stream is kept (UTF-8 bytes).</param>
    public static async Task<ProcessExit> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        string logDirectory,
        TimeSpan timeout,
        Func<Task>? onKill,
        CancellationToken cancellationToken,
        int logTailBytes = LogTail.DefaultBytes)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Directory.CreateDirectory(logDirectory);
        using var process = new Process { StartInfo = info };
        var outLog = new LogTail(logTailBytes);
        var errLog = new LogTail(logTailBytes);
        process.OutputDataReceived += (_, e) => outLog.Add(e.Data);
        process.ErrorDataReceived += (_, e) => errLog.Add(e.Data);
        try
        {
            return await RunStartedAsync(process, fileName, timeout, onKill, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            outLog.AppendTo(Path.Combine(logDirectory, "stdout.log"));
            errLog.AppendTo(Path.Combine(logDirectory, "stderr.log"));
        }
    }

    private static async Task<ProcessExit> RunStartedAsync(Process process, string fileName, TimeSpan timeout, Func<Task>? onKill, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (!process.Start())
            {
                return new ProcessExit(null, false, TimeSpan.Zero, $"{fileName} did not start");
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new ProcessExit(null, false, TimeSpan.Zero, $"{fileName} cannot be started: {ex.Message}");
        }

        process.StandardInput.Close(); // apps get no input on stdin
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (onKill is not null)
            {
                await onKill().ConfigureAwait(false);
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new ProcessExit(null, true, clock.Elapsed, null);
        }

        // WaitForExitAsync returns once the output pipes are drained too.
        return new ProcessExit(process.ExitCode, false, clock.Elapsed, null);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it exited on its own meanwhile
        }
    }
}
