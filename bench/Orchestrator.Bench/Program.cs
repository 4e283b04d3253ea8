using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Bench;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Host.Hosting;
using Orchestrator.Simulation;

// Usage: dotnet run -c Release --project bench/Orchestrator.Bench -- [--tasks N] [--workers N] [--slots N] [--trust3-tasks N]
var tasks = Arg("--tasks", 20_000);
var workers = Arg("--workers", 1_000);
var slots = Arg("--slots", 4);
var trust3Tasks = Arg("--trust3-tasks", 5_000);

var calls = new CallCounter();
var builder = EmbeddedCluster.CreateBuilder([], configure: b =>
{
    b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:Scheduling:HeartbeatTimeout"] = "00:01:00" });
    b.Services.AddSingleton(calls);
});
builder.UseOrleans(silo => silo.AddIncomingGrainCallFilter(ctx =>
{
    Interlocked.Increment(ref calls.Count);
    return ctx.Invoke();
}));
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
var floor = await OrleansFloorAsync(grains, TimeSpan.FromSeconds(5));
Console.WriteLine($"orleans floor (trivial grain calls): {floor:N0} calls/s");
var (signUs, recoverUs) = Ecdsa();
Console.WriteLine($"secp256k1 on this machine: sign {signUs:F0} us, recover {recoverUs:F0} us");

var tee = await LifecycleAsync("trust 1 (TEE fast path)", new DemoSettings(tasks, workers, 1, 0, 0, true, TimeSpan.FromMinutes(10), slots));
var replicated = await LifecycleAsync("trust 3 (replicated)", new DemoSettings(trust3Tasks, workers, 3, 0, 0, false, TimeSpan.FromMinutes(10), slots));

Console.WriteLine();
Console.WriteLine("| measure | value |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| Orleans floor | {floor:N0} calls/s |");
Console.WriteLine($"| trust 1 (TEE) lifecycles | {tee.Rate:N0} tasks/s ({tee.CallsPerTask:F1} grain calls/task) |");
Console.WriteLine($"| trust 3 lifecycles | {replicated.Rate:N0} tasks/s ({replicated.CallsPerTask:F1} grain calls/task) |");
Console.WriteLine($"| TEE rate / floor | {tee.Rate / floor:P2} (a lifecycle costs {floor / tee.Rate:F1} floor calls) |");
Console.WriteLine($"| secp256k1 sign / recover | {signUs:F0} us / {recoverUs:F0} us |");
Console.WriteLine($"| peak working set | {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024):N0} MiB |");
await host.StopAsync();
return 0;

async Task<(double Rate, double CallsPerTask)> LifecycleAsync(string name, DemoSettings settings)
{
    GC.Collect();
    var before = Interlocked.Read(ref calls.Count);
    var summary = await new DemoRunner(grains).RunAsync(settings, null, CancellationToken.None);
    var used = Interlocked.Read(ref calls.Count) - before;
    var rate = summary.Throughput;
    Console.WriteLine($"{name}: {summary.Completed}/{summary.Tasks} completed in {summary.Elapsed.TotalSeconds:F2} s with {settings.Workers} workers -> {rate:N0} tasks/s, {used / (double)summary.Tasks:F1} grain calls per task");
    return (rate, used / (double)summary.Tasks);
}

static async Task<double> OrleansFloorAsync(IGrainFactory grains, TimeSpan duration)
{
    var refs = Enumerable.Range(0, 1000).Select(i => grains.GetGrain<IPingGrain>(i)).ToArray();
    await Task.WhenAll(refs.Select(r => r.PingAsync(0)));
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
    return count / stop.Elapsed.TotalSeconds;
}

static (double SignUs, double RecoverUs) Ecdsa()
{
    var key = Secp256k1.NewPrivateKey();
    var hash = new byte[32];
    for (var i = 0; i < 3000; i++) Secp256k1.TryRecoverAddress(hash, Secp256k1.Sign(hash, key), out _);
    const int n = 500;
    var sw = Stopwatch.StartNew();
    Signature s = null!;
    for (var i = 0; i < n; i++) { hash[0] = (byte)i; s = Secp256k1.Sign(hash, key); }
    var sign = sw.Elapsed.TotalMicroseconds / n;
    sw.Restart();
    for (var i = 0; i < n; i++) Secp256k1.TryRecoverAddress(hash, s, out _);
    return (sign, sw.Elapsed.TotalMicroseconds / n);
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

namespace Orchestrator.Bench
{
    /// <summary>Counts incoming grain calls.</summary>
    public sealed class CallCounter
    {
        public long Count;
    }
}
