using System.Diagnostics;

namespace Orchestrator.Testing;

/// <summary>Runs the tools and service scripts the fixtures need.</summary>
public static class Commands
{
    /// <summary>Runs a program to its end and returns its standard output; throws with its output when it fails or overruns.</summary>
    public static string Run(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var line = $"{file} {string.Join(' ', start.ArgumentList)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{line} did not finish in {timeout}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{line} exited {process.ExitCode}: {stdout.Result}{stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>Runs one of the repository's service scripts (scripts/services/NAME.sh; they are idempotent).</summary>
    public static string RunServiceScript(string name) => Run("bash", [Repository.PathOf("scripts", "services", name + ".sh")], TimeSpan.FromMinutes(5));
}
