using System.Diagnostics;

namespace Orchestrator.Testing;

/// <summary>The `orchestrator` CLI the solution build produced, run as a user would: a real process.</summary>
public static class BuiltCli
{
    private static readonly Lazy<string> FoundPath = new(Find);

    /// <summary>orchestrator.dll in the test assembly's configuration (Debug or Release).</summary>
    public static string Path => FoundPath.Value;

    /// <summary>
    /// Runs the CLI to its end with both outputs read; the owner token and CA file of the machine's
    /// environment are removed (a test names its own in <paramref name="environment"/>); killed, with its
    /// output in the exception, when it outlives <paramref name="timeout"/> (default 2 minutes).
    /// </summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment.Remove("ORCHESTRATOR_ADMIN_TOKEN");
        info.Environment.Remove("ORCHESTRATOR_CA_FILE");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add(Path);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
            throw new TimeoutException($"orchestrator {string.Join(' ', info.ArgumentList.Skip(1))} did not finish in {timeout ?? TimeSpan.FromMinutes(2)}: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    private static string Find()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // tests/X/bin/<Configuration>/net10.0/
        var path = Repository.PathOf("src", "Orchestrator.Cli", "bin", configuration, "net10.0", "orchestrator.dll");
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"build the CLI first ({path} is missing): dotnet build Orchestrator.sln -c {configuration}");
    }
}
