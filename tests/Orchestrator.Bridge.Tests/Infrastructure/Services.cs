using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>Where the real services' binaries are, and why a test must skip when one is absent.</summary>
public static class Services
{
    /// <summary>The repository root (found by walking up to Orchestrator.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The Anvil binary, or null.</summary>
    public static string? Anvil { get; } = LocateAnvil();

    /// <summary>True when rabbitmqctl is installed (scripts/services/rabbitmq.sh installs it).</summary>
    public static bool HasRabbitMq { get; } = File.Exists("/usr/sbin/rabbitmqctl") || File.Exists("/usr/bin/rabbitmqctl");

    /// <summary>Why the chain integration tests cannot run here, or null.</summary>
    public static string? ChainSkipReason =>
        Anvil is null ? "anvil is not installed: run `npm ci` in the repository root (or set ORCHESTRATOR_ANVIL)"
        : !HasRabbitMq ? "rabbitmq-server is not installed: run scripts/services/rabbitmq.sh"
        : null;

    /// <summary>A free loopback port.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command, returns its stdout; throws with its output when it fails.</summary>
    public static string Run(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in {timeout}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {stdout.Result}{stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>The compiled contract (built with solc from npm when missing).</summary>
    public static (string Abi, string Bytecode) Contract()
    {
        var bin = Path.Combine(Root, "contracts", "out", "OrchestratorHub.bin");
        if (!File.Exists(bin))
        {
            Run("node", [Path.Combine(Root, "contracts", "build.mjs"), "--if-needed"], TimeSpan.FromMinutes(3));
        }

        return (File.ReadAllText(Path.Combine(Root, "contracts", "out", "OrchestratorHub.abi.json")), File.ReadAllText(bin).Trim());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Orchestrator.sln not found above the test assembly");
    }

    private static string? LocateAnvil()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ORCHESTRATOR_ANVIL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        var candidate = Path.Combine(FindRoot(), "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
        return File.Exists(candidate) ? candidate : null;
    }
}
