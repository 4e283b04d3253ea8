using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>A real child process (dotnet + an assembly of the build) whose output is kept for failure messages.</summary>
public sealed class ChildProcess : IDisposable
{
    private const int KeptLines = 400;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once it exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code (after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines it wrote (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            var text = new StringBuilder();
            foreach (var line in _lines) text.AppendLine(line);
            return text.ToString();
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="assembly"/> args</c>.</summary>
    public static ChildProcess Start(string name, string assembly, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL, the whole tree (the worker and the app it runs): no chance to say goodbye.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM: a graceful stop.</summary>
    public void Terminate()
    {
        // libc's kill(2) rather than the kill program, which a minimal image may lack.
        Assert.True(NativeMethods.kill(_process.Id, NativeMethods.SIGTERM) == 0, $"kill({_process.Id}, SIGTERM) failed");
    }

    /// <summary>Waits for the exit; false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            _process.WaitForExit(); // drains the output readers
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        while (_lines.Count > KeptLines && _lines.TryDequeue(out _))
        {
        }
    }
}

/// <summary>The one POSIX call the tests need.</summary>
internal static class NativeMethods
{
    public const int SIGTERM = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int sig);
}
