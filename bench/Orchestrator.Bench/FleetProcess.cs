using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Host.Hosting;
using Orchestrator.Simulation;

namespace Orchestrator.Bench;

/// <summary>
/// The simulated fleet in a second process, a client of the bench's silo through its Orleans gateway: the workers'
/// signing, hashing and enclave work then costs the silo's process nothing, and what the silo process spends per
/// lifecycle is what a pool pays on its silos (plus the gateway's share of messaging, as the gRPC edge would cost).
/// </summary>
internal static class FleetProcess
{
    public const string Flag = "--fleet-of";
    private const string ResultPrefix = "FLEET-RESULT ";

    /// <summary>Runs one deal in a child process against the silo's gateway; returns its summary and the child's CPU time.</summary>
    public static async Task<(int Completed, double Seconds, TimeSpan ChildCpu)> RunAsync(int gatewayPort, string clusterId, DemoSettings settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(FleetProcess).Assembly.Location);
        foreach (var arg in new[]
        {
            Flag, Invariant(settings.Tasks), Invariant(settings.Workers), Invariant(settings.Trust), settings.Tee ? "tee" : "plain", Invariant(settings.Slots),
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Orchestrator__GatewayPort"] = Invariant(gatewayPort);
        start.Environment["Orchestrator__ClusterId"] = clusterId;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the fleet process");
        string? result = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                result = line[ResultPrefix.Length..];
            }
        }

        await child.WaitForExitAsync();
        if (child.ExitCode != 0 || result is null)
        {
            throw new InvalidOperationException($"the fleet process failed (exit code {child.ExitCode}); its errors are above");
        }

        // The child reports its own CPU time: an exited process's times cannot be read here on Linux.
        var parts = result.Split(' ');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture),
            TimeSpan.FromMilliseconds(double.Parse(parts[2], CultureInfo.InvariantCulture)));
    }

    /// <summary>The child's side: <c>--fleet-of TASKS WORKERS TRUST tee|plain SLOTS</c>, gateway and cluster id from the environment.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var i = Array.IndexOf(args, Flag);
        var settings = new DemoSettings(
            int.Parse(args[i + 1], CultureInfo.InvariantCulture), int.Parse(args[i + 2], CultureInfo.InvariantCulture), int.Parse(args[i + 3], CultureInfo.InvariantCulture),
            0, 0, args[i + 4] == "tee", TimeSpan.FromMinutes(10), int.Parse(args[i + 5], CultureInfo.InvariantCulture));
        using var host = await ClusterClientHost.StartAsync(null, CancellationToken.None);
        var summary = await new DemoRunner(host.Services.GetRequiredService<IClusterClient>()).RunAsync(settings, null, CancellationToken.None);
        await host.StopAsync();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        Console.WriteLine($"{ResultPrefix}{Invariant(summary.Completed)} {summary.Elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture)} {cpu.ToString("R", CultureInfo.InvariantCulture)}");
        return summary.AllFinal ? 0 : 1;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
