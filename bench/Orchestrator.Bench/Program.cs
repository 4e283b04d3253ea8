using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Bench;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Hosting;
using Orchestrator.Simulation;

// Usage: dotnet run -c Release --project bench/Orchestrator.Bench -- [--tee-tasks N] [--trust1-tasks N] [--trust3-tasks N]
//        [--workers N] [--slots N] [--fleet-process] [--profile N] [--lines L]
// Each line runs two deals on one fleet and prints both: the whole run (set-up, registration, first deal) and the steady state.
// --fleet-process: each line runs a second time with the fleet in a child process (an Orleans client of this silo),
//                  so the silo's CPU and allocations per lifecycle exclude the workers' own work.
// --profile N:     a further, quarter-size run of each line under the runtime's sampling profiler; prints the top N
//                  methods by CPU and types by allocated bytes (with the fleet in its own process under --fleet-process).
// --lines L:       which lines to run, comma-separated among plain, tee, trust3 (default all).
// --no-call-count: no grain-call counter: the counter is an incoming call filter, which puts every call through Orleans'
//                  filter path; without it the silo (and the floor) run as a pool's silo does, and grain calls print as "-".
if (args.Contains(FleetProcess.Flag))
{
    return await FleetProcess.MainAsync(args);
}

var teeTasks = Arg("--tee-tasks", 5_000);
var trust1Tasks = Arg("--trust1-tasks", 10_000);
var trust3Tasks = Arg("--trust3-tasks", 3_000);
var workers = Arg("--workers", 1_000);
var slots = Arg("--slots", 4);
var fleetProcess = args.Contains("--fleet-process");
var profileTop = Arg("--profile", 0);
var countCalls = !args.Contains("--no-call-count");
var only = ArgText("--lines", "plain,tee,trust3").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

var calls = new GrainCallTally();
var gatewayPort = FreePort();
var builder = EmbeddedCluster.CreateBuilder([], configure: b =>
{
    b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        // Each line's fleet stops when its deal is done; a short timeout would have the next lines pay for declaring
        // the previous fleets lost (and log each), which is not the task path.
        ["Orchestrator:Scheduling:HeartbeatTimeout"] = "01:00:00",
        ["Orchestrator:ClusterId"] = "bench",
        ["Orchestrator:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
        ["Orchestrator:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
    });
    // The secret service logs each release at Information (an audit line per TEE task); on a console that costs more
    // than the release. A pool ships such lines to its own sink, so the bench measures the task path without them.
    b.Logging.AddFilter("Orchestrator", LogLevel.Warning);
    b.Services.AddSingleton(calls);
});
if (countCalls)
{
    builder.UseOrleans(silo => silo.AddIncomingGrainCallFilter(ctx =>
    {
        calls.Add(ctx.InterfaceName, ctx.MethodName);
        return ctx.Invoke();
    }));
}

using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}, load average {LoadAverage()}");
// The floor is measured twice, before and after the lines, each after a warm-up (the first seconds after start
// run tier-0 code while the JIT recompiles): a lifecycle is set against the cheaper of the two, the floor at its
// truest, so a floor that ran slow never makes a lifecycle look cheap.
var floorBefore = await FloorAsync(grains, TimeSpan.FromSeconds(5));
Console.WriteLine($"orleans floor (trivial grain calls), before the lines: {floorBefore.Rate:N0} calls/s, {floorBefore.CpuUs:F2} µs CPU and {floorBefore.Bytes:N0} B allocated per call");
var crypto = CryptoCosts.Measure();
var (signUs, recoverUs) = (crypto.SignUs, crypto.RecoverUs);
Console.WriteLine($"secp256k1 on this machine: sign {signUs:F0} µs, recover {recoverUs:F0} µs, ECIES encryption of a 32-byte key {crypto.EciesUs:F0} µs, key pair {crypto.KeyPairUs:F0} µs");

var lines = new List<LifecycleLine>();
var kinds = new (string Key, string Name, int Tasks, int Trust, bool Tee)[]
{
    ("plain", "trust 1 (plain)", trust1Tasks, 1, false),
    ("tee", "trust 1 (TEE fast path)", teeTasks, 1, true),
    ("trust3", "trust 3 (replicated)", trust3Tasks, 3, false),
}.Where(k => only.Contains(k.Key)).Select(k => (k.Name, k.Tasks, k.Trust, k.Tee)).ToArray();
foreach (var (name, count, trust, tee) in kinds)
{
    lines.AddRange(await InProcessAsync(name, new DemoSettings(count, workers, trust, 0, 0, tee, TimeSpan.FromMinutes(10), slots)));
}

if (fleetProcess)
{
    foreach (var (name, count, trust, tee) in kinds)
    {
        lines.AddRange(await OutOfProcessAsync(name, new DemoSettings(count, workers, trust, 0, 0, tee, TimeSpan.FromMinutes(10), slots)));
    }
}

var floorAfter = await FloorAsync(grains, TimeSpan.FromSeconds(5));
var floor = floorAfter.CpuUs < floorBefore.CpuUs ? floorAfter : floorBefore;
Console.WriteLine();
Console.WriteLine($"Orleans floor before / after the lines: {floorBefore.Rate:N0} / {floorAfter.Rate:N0} calls/s, {floorBefore.CpuUs:F2} / {floorAfter.CpuUs:F2} µs of CPU, {floorBefore.Bytes:N0} / {floorAfter.Bytes:N0} B allocated per call; the lines are set against the cheaper (load average {LoadAverage()})");
Console.WriteLine();
Console.WriteLine("| lifecycle | measured | fleet | tasks/s | floor calls (wall) | floor calls (silo CPU) | silo CPU per lifecycle | allocated per lifecycle | grain calls | fleet CPU per lifecycle |");
Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var l in lines)
{
    Console.WriteLine($"| {l.Name} | {l.Measured} | {l.Fleet} | {l.Rate:N0} | {floor.Rate / l.Rate:F1} | {l.CpuUs / floor.CpuUs:F1} | {l.CpuUs:N0} µs | {l.AllocatedBytes / 1024:N1} KiB | {Calls(l.CallsPerTask)} | {(l.FleetCpuUs is { } f ? $"{f:N0} µs" : "in the silo's")} |");
}

Console.WriteLine($"| secp256k1 sign / recover | | {signUs:F0} µs / {recoverUs:F0} µs | | | | | | | |");
Console.WriteLine();
// What no change to the task path can remove: the signatures the protocol has the silo check, and the TEE line's
// key for its enclave and the secrets sealed to it. Set against the same floor, it is the least a lifecycle can cost.
Console.WriteLine($"the cryptography a lifecycle needs in the silo, in floor calls of CPU: trust 1, one recovery (the worker's contribution): {crypto.RecoverUs / floor.CpuUs:F1}; " +
    $"TEE, two recoveries (the enclave's result, its secret fetch), a key pair (the enclave challenge) and an ECIES encryption (the secrets): {crypto.TeeUs / floor.CpuUs:F1}; " +
    $"trust 3, one recovery per contribution: {crypto.RecoverUs / floor.CpuUs:F1} each");
Console.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024):N0} MiB");

if (profileTop > 0)
{
    foreach (var (name, count, trust, tee) in kinds)
    {
        await ProfileAsync(name, new DemoSettings(Math.Max(500, count / 4), workers, trust, 0, 0, tee, TimeSpan.FromMinutes(10), slots));
    }
}

await host.StopAsync();
return 0;

// Each line runs two deals on one fleet. The first ("whole run") is what the bench measured before: the fleet's
// authorization, the deal's creation, every worker's registration (admission, attestation, reminder, owed reveals) and
// its first polls, then the deal. The second ("steady state") is the same deal again on the registered, warm fleet: the
// lifecycle itself, as a pool's silos pay for it, plus the fleet's polling while it runs.
async Task<LifecycleLine[]> InProcessAsync(string name, DemoSettings settings)
{
    var lines = new List<LifecycleLine>();
    var meter = Meter.Start(calls);
    await new DemoRunner(grains).RunDealsAsync(settings, Measures.Names.Length, deal =>
    {
        var (cpu, allocated, used) = meter.Stop(calls);
        var line = new LifecycleLine(name, Measures.Names[deal.Index], "in process", Done(deal) / deal.Elapsed.TotalSeconds, used / (double)settings.Tasks, cpu.TotalMicroseconds / settings.Tasks, allocated / (double)settings.Tasks, null);
        Console.WriteLine($"{name}, {line.Measured}, fleet in process: {Done(deal)}/{settings.Tasks} in {deal.Elapsed.TotalSeconds:F2} s -> {line.Rate:N0} tasks/s, {line.CpuUs:N0} µs CPU and {line.AllocatedBytes / 1024:N1} KiB per lifecycle, {Calls(line.CallsPerTask)} grain calls");
        PrintBreakdown(meter, settings.Tasks);
        lines.Add(line);
        meter = Meter.Start(calls);
        return Task.CompletedTask;
    }, null, CancellationToken.None);
    return [.. lines];
}

async Task<LifecycleLine[]> OutOfProcessAsync(string name, DemoSettings settings)
{
    var lines = new List<LifecycleLine>();
    var meter = Meter.Start(calls);
    var childCpuBefore = TimeSpan.Zero;
    await FleetProcess.RunAsync(gatewayPort, "bench", settings, Measures.Names.Length, (deal, childCpu) =>
    {
        var (cpu, allocated, used) = meter.Stop(calls);

        // The first deal's child CPU includes its start-up (runtime, JIT, client connect); the silo's excludes none of its own.
        var line = new LifecycleLine(name, Measures.Names[deal.Index], "own process", Done(deal) / deal.Elapsed.TotalSeconds, used / (double)settings.Tasks, cpu.TotalMicroseconds / settings.Tasks, allocated / (double)settings.Tasks, (childCpu - childCpuBefore).TotalMicroseconds / settings.Tasks);
        Console.WriteLine($"{name}, {line.Measured}, fleet in its own process: {Done(deal)}/{settings.Tasks} in {deal.Elapsed.TotalSeconds:F2} s -> {line.Rate:N0} tasks/s, silo {line.CpuUs:N0} µs CPU and {line.AllocatedBytes / 1024:N1} KiB per lifecycle, fleet {line.FleetCpuUs:N0} µs CPU");
        PrintBreakdown(meter, settings.Tasks);
        lines.Add(line);
        childCpuBefore = childCpu;
        meter = Meter.Start(calls);
        return Task.CompletedTask;
    });
    return [.. lines];
}

// The profile covers the steady state: a first deal warms the fleet unprofiled, the second is sampled.
async Task ProfileAsync(string name, DemoSettings settings)
{
    SampleProfile? profile = null;
    ProfileSummary? summary = null;
    async Task OnDeal(DealFinished deal)
    {
        if (deal.Index == 0)
        {
            profile = SampleProfile.Start();
        }
        else
        {
            summary = await profile!.TopAsync(profileTop);
            await profile.DisposeAsync();
        }
    }

    if (fleetProcess)
    {
        await FleetProcess.RunAsync(gatewayPort, "bench", settings, 2, (deal, _) => OnDeal(deal));
    }
    else
    {
        await new DemoRunner(grains).RunDealsAsync(settings, 2, OnDeal, null, CancellationToken.None);
    }

    var top = summary!;
    Console.WriteLine();
    Console.WriteLine($"profile of {name}, steady state ({settings.Tasks} tasks on a warm fleet, fleet {(fleetProcess ? "in its own process" : "in process")}, {top.Samples:N0} samples of working threads)");
    top.Print(Console.Out);
}

static int Done(DealFinished deal) => deal.View.Completed + deal.View.Failed;

static async Task<(double Rate, double CpuUs, double Bytes)> FloorAsync(IGrainFactory grains, TimeSpan duration)
{
    var refs = Enumerable.Range(0, 1000).Select(i => grains.GetGrain<IPingGrain>(i)).ToArray();
    await Task.WhenAll(refs.Select(r => r.PingAsync(0)));
    await PingAsync(refs, TimeSpan.FromSeconds(2)); // warm-up, not measured
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var stop = Stopwatch.StartNew();
    var count = await PingAsync(refs, duration);
    var elapsed = stop.Elapsed.TotalSeconds;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    return (count / elapsed, cpu.TotalMicroseconds / count, allocated / (double)count);
}

// 256 callers, each pinging one grain after another for the duration; returns the calls made.
static async Task<long> PingAsync(IPingGrain[] refs, TimeSpan duration)
{
    long count = 0;
    var stop = Stopwatch.StartNew();
    var loops = Enumerable.Range(0, 256).Select(async i =>
    {
        var n = 0L;
        while (stop.Elapsed < duration)
        {
            await refs[(i * 7 + n) % refs.Length].PingAsync((int)n);
            n++;
        }

        Interlocked.Add(ref count, n);
    });
    await Task.WhenAll(loops);
    return count;
}


// Which grain calls a lifecycle is made of: per method, per lifecycle, since the meter started (counted runs only).
void PrintBreakdown(Meter since, int lifecycles)
{
    if (!countCalls)
    {
        return;
    }

    Console.WriteLine($"  grain calls per lifecycle by method: {calls.PerLifecycleSince(since.ByMethod, lifecycles)}");
}

string Calls(double perTask) => countCalls ? perTask.ToString("F1", CultureInfo.InvariantCulture) : "-";

static string LoadAverage()
{
    try
    {
        return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "unknown";
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

string ArgText(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
}

namespace Orchestrator.Bench
{
    /// <summary>What each of a line's two deals measures (see InProcessAsync).</summary>
    internal static class Measures
    {
        public static readonly string[] Names = ["whole run (fresh fleet)", "steady state (warm fleet)"];
    }

    /// <summary>One lifecycle kind measured: rate, the silo process's CPU and allocations per lifecycle, grain calls.</summary>
    internal sealed record LifecycleLine(string Name, string Measured, string Fleet, double Rate, double CallsPerTask, double CpuUs, double AllocatedBytes, double? FleetCpuUs);

    /// <summary>This process's CPU time, allocated bytes and grain calls between Start and Stop.</summary>
    internal readonly record struct Meter(TimeSpan Cpu, long Allocated, long Calls, IReadOnlyDictionary<string, long> ByMethod)
    {
        public static Meter Start(GrainCallTally calls)
        {
            GC.Collect();
            return new Meter(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true), calls.Count, calls.Snapshot());
        }

        public (TimeSpan Cpu, long Allocated, long Calls) Stop(GrainCallTally calls) => (
            Process.GetCurrentProcess().TotalProcessorTime - Cpu,
            GC.GetTotalAllocatedBytes(precise: true) - Allocated,
            calls.Count - Calls);
    }
}
