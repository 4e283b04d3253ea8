using System.Diagnostics;

namespace Orchestrator.Testing;

/// <summary>
/// Starts a local service the tests talk to over HTTP on loopback (Anvil, s3rver): the process with its
/// output drained (a full pipe would stall it), then waits until it answers, failing at once if it exits first.
/// </summary>
public static class LocalServiceProcess
{
    /// <summary>Starts <paramref name="start"/> (its output is redirected here) and returns once <paramref name="answers"/> holds.</summary>
    /// <param name="name">The service's name, in messages.</param>
    /// <param name="start">How to start it.</param>
    /// <param name="endpoint">Where it answers, in messages.</param>
    /// <param name="answers">One probe: true once the service serves; an HTTP failure or timeout means not yet.</param>
    public static async Task<Process> StartAsync(string name, ProcessStartInfo start, Uri endpoint, Func<HttpClient, Task<bool>> answers)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(answers);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
                await Eventually.UntilAsync(
                $"{name} to answer on {endpoint}",
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"{name} exited with code {process.ExitCode} before answering");
                    }

                    return await answers(http).ConfigureAwait(false);
                },
                TimeSpan.FromSeconds(30),
                tolerate: ex => ex is HttpRequestException or TaskCanceledException).ConfigureAwait(false);
        }
        catch
        {
            // Never leave a half-started service behind a failed start.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }

        return process;
    }
}
