using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Abstractions.Messages;
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
    private const string DealPrefix = "FLEET-DEAL ";

    /// <summary>
    /// Runs <paramref name="deals"/> deals one after another on one fleet in a child process against the silo's gateway.
    /// Each finished deal is reported to <paramref name="finished"/> with the child's CPU time so far; the child waits for
    /// it before the next deal (so the silo's meters can be read and reset at that point). Returns the child's total CPU.
    /// </summary>
    public static async Task<TimeSpan> RunAsync(int gatewayPort, string clusterId, DemoSettings settings, int deals, Func<DealFinished, TimeSpan, Task> finished)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(FleetProcess).Assembly.Location);
        foreach (var arg in new[]
        {
            Flag, Invariant(settings.Tasks), Invariant(settings.Workers), Invariant(settings.Trust), settings.Tee ? "tee" : "plain", Invariant(settings.Slots), Invariant(deals),
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Orchestrator__GatewayPort"] = Invariant(gatewayPort);
        start.Environment["Orchestrator__ClusterId"] = clusterId;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the fleet process");
        TimeSpan? total = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(DealPrefix, StringComparison.Ordinal))
            {
                var (deal, cpu) = ParseDeal(line[DealPrefix.Length..]);
                await finished(deal, cpu);
                await child.StandardInput.WriteLineAsync("go");
                await child.StandardInput.FlushAsync();
            }
            else if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                total = TimeSpan.FromMilliseconds(double.Parse(line[ResultPrefix.Length..], CultureInfo.InvariantCulture));
            }
        }

        await child.WaitForExitAsync();
        if (child.ExitCode != 0 || total is null)
        {
            throw new InvalidOperationException($"the fleet process failed (exit code {child.ExitCode}); its errors are above");
        }

        return total.Value;
    }

    /// <summary>The child's side: <c>--fleet-of TASKS WORKERS TRUST tee|plain SLOTS DEALS</c>, gateway and cluster id from the environment.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var i = Array.IndexOf(args, Flag);
        var settings = new DemoSettings(
            int.Parse(args[i + 1], CultureInfo.InvariantCulture), int.Parse(args[i + 2], CultureInfo.InvariantCulture), int.Parse(args[i + 3], CultureInfo.InvariantCulture),
            0, 0, args[i + 4] == "tee", TimeSpan.FromMinutes(10), int.Parse(args[i + 5], CultureInfo.InvariantCulture));
        var deals = int.Parse(args[i + 6], CultureInfo.InvariantCulture);
        using var host = await ClusterClientHost.StartAsync(null, CancellationToken.None);
        var allFinal = true;
        await new DemoRunner(host.Services.GetRequiredService<IClusterClient>()).RunDealsAsync(settings, deals, async deal =>
        {
            allFinal &= deal.View.Completed + deal.View.Failed == settings.Tasks;
            // The child reports its own CPU time: an exited process's times cannot be read by the parent on Linux.
            Console.WriteLine($"{DealPrefix}{Invariant(deal.Index)} {Invariant(deal.View.Completed)} {Invariant(deal.View.Failed)} {Round(deal.Elapsed.TotalSeconds)} {Round(CpuMs())}");
            await Console.In.ReadLineAsync(); // the parent has read its meters
        }, null, CancellationToken.None);
        await host.StopAsync();
        Console.WriteLine($"{ResultPrefix}{Round(CpuMs())}");
        return allFinal ? 0 : 1;
    }

    private static (DealFinished Deal, TimeSpan Cpu) ParseDeal(string text)
    {
        var parts = text.Split(' ');
        int Int(int k) => int.Parse(parts[k], CultureInfo.InvariantCulture);
        double Real(int k) => double.Parse(parts[k], CultureInfo.InvariantCulture);

        // Only the counts and the time travel back; the bench reads nothing else of the view.
        var view = new DealView(default, true, Int(1) + Int(2), Int(1), Int(2), default, default, 0, 0, 0, 0);
        return (new DealFinished(Int(0), view, TimeSpan.FromSeconds(Real(3))), TimeSpan.FromMilliseconds(Real(4)));
    }

    private static double CpuMs() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;

    private static string Round(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
