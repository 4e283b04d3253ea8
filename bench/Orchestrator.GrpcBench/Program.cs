using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Workers;
using Orchestrator.Bench;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.GrpcBench;
using Orchestrator.Host.Hosting;
using Orchestrator.Simulation;
using WorkerClient = Orchestrator.Api.Worker.V1.WorkerSession.WorkerSessionClient;

// Usage: dotnet run -c Release --project bench/Orchestrator.GrpcBench -- [--tasks N] [--trust3-tasks N] [--workers N] [--slots N] [--sessions N (0: none)] [--hold S] [--idle-free N] [--tls 1] [--fleet-process 1] [--silence N] [--count-calls 1] [--profile N]
if (args.Contains(SessionFleet.Flag))
{
    return await SessionFleet.MainAsync(args);
}

if (args.Contains(LifecycleFleet.Flag))
{
    return await LifecycleFleet.MainAsync(args);
}

var tasks = Arg("--tasks", 5_000);
var trust3Tasks = Arg("--trust3-tasks", 2_000);
var workerCount = Arg("--workers", 200);
var slots = Arg("--slots", 4);
var sessionCount = Arg("--sessions", 10_000);
var holdSeconds = Arg("--hold", 60);
var tls = Arg("--tls", 0) == 1; // https with a fresh ECDSA P-256 certificate (proofs then bind its hash), else h2c
var idleFree = Arg("--idle-free", 1); // free slots the held sessions report: 1 = idle workers looking for work, 0 = busy (heartbeats only)
var fleetProcess = Arg("--fleet-process", 0) == 1 && !tls; // the gRPC workers (lifecycles and held sessions) in child processes: the silo's CPU, heap and RSS alone
var silence = Arg("--silence", 100); // held sessions that stop heartbeating at the end, to time lost-worker detection
var countCalls = Arg("--count-calls", 0) == 1; // each deal line also prints its grain calls per lifecycle by method (an incoming call filter: not a timed run)
var profileTop = fleetProcess ? Arg("--profile", 0) : 0; // with the fleet in its own process: a further trust-1 deal over gRPC under the sampling profiler, its top N lines
const string token = "grpc-bench-owner-token";

var port = FreePort();
var scheme = tls ? "https" : "http";
using var certificate = tls ? BenchCertificate.Create() : null;
var settings = new Dictionary<string, string?>
{
    ["Orchestrator:ClusterId"] = "grpc-bench",
    ["Orchestrator:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Orchestrator:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Orchestrator:Api:Enabled"] = "true",
    ["Orchestrator:Api:Url"] = $"{scheme}://127.0.0.1:{port}",
    ["Orchestrator:Api:AdminToken"] = token,
    // Every simulated worker shares 127.0.0.1: the per-client limiter still runs on every call, with
    // limits no bench reaches, so what is measured is its cost and not its refusals.
    ["Orchestrator:Api:Limits:PerAddressPerSecond"] = "10000000",
    ["Orchestrator:Api:Limits:PerAddressBurst"] = "10000000",
    ["Orchestrator:Api:Limits:SessionsPerWorkerPerMinute"] = "1000",
};
if (certificate is not null)
{
    settings["Orchestrator:Api:CertificatePath"] = certificate.CertificatePath;
    settings["Orchestrator:Api:CertificateKeyPath"] = certificate.KeyPath;
}

var builder = EmbeddedCluster.CreateWebBuilder([], configure: b => b.Configuration.AddInMemoryCollection(settings));
var calls = new GrainCallTally();
if (countCalls)
{
    builder.UseOrleans(silo => silo.AddIncomingGrainCallFilter(ctx =>
    {
        calls.Add(ctx.InterfaceName, ctx.MethodName);
        return ctx.Invoke();
    }));
}

await using var app = SiloWebHost.Build(builder);
await app.StartAsync();
var grains = app.Services.GetRequiredService<IGrainFactory>();
var registry = app.Services.GetRequiredService<SessionRegistry>();
var heartbeat = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.HeartbeatInterval; // the defaults, as a pool runs them
var lostAfter = app.Services.GetRequiredService<IOptions<SchedulingOptions>>().Value.HeartbeatTimeout;

var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan };
if (certificate is not null)
{
    handler.SslOptions.RemoteCertificateValidationCallback = (_, seen, _, _) => seen is not null && seen.GetRawCertData().AsSpan().SequenceEqual(certificate.Raw);
}

using var channel = GrpcChannel.ForAddress($"{scheme}://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler });
var certificateSha256 = certificate?.Sha256 ?? [];
var workersClient = new WorkerClient(channel);
var admin = new PoolAdmin.PoolAdminClient(channel.Intercept(m =>
{
    m.Add("authorization", "Bearer " + token);
    return m;
}));

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
var layout = fleetProcess ? "silo + Kestrel here, the gRPC workers in child processes" : "one process: silo + Kestrel + every simulated worker";
Console.WriteLine($"{layout} (client and server share the {Environment.ProcessorCount} cores); transport {(tls ? "TLS (ECDSA P-256, proofs bind the certificate)" : "h2c (plaintext)")}");

// 1. In-process: SimulatedWorker talks to the worker grains directly (the bench/Orchestrator.Bench way).
var inProcess1 = tasks > 0 ? await InProcessAsync("in-process trust 1", tasks, 1) : 0;
var inProcess3 = tasks > 0 ? await InProcessAsync("in-process trust 3", trust3Tasks, 3) : 0;

// 2. The same lifecycles with workers over gRPC sessions.
var noDeal = new DealRun(0, 0, 0);
(DealRun Trust1, DealRun Trust3) lifecycle = tasks == 0 ? (noDeal, noDeal) : fleetProcess ? await LifecycleOfFleetProcessAsync() : await LifecycleOverGrpcAsync();

// 3. How many heartbeating sessions one silo holds. When client and server share this process, without spare
// threads a burst of handshakes (CPU-bound signing) delays the heartbeat loop's continuations by seconds and the
// bench measures itself. Only for this part: the lifecycles above run on the runtime's own thread pool, as a pool's
// silo does (64 threads on two cores had the Orleans directory's short locks preempted while held, and most of the
// silo's samples during a gRPC deal were threads queued on them).
if (sessionCount > 0 && !fleetProcess)
{
    ThreadPool.SetMinThreads(64, 64);
}

var capacity = sessionCount == 0 ? null : fleetProcess ? await CapacityOfFleetProcessAsync() : await CapacityAsync();

Console.WriteLine();
Console.WriteLine("| measure | value |");
Console.WriteLine("|---|---|");
if (tasks > 0)
{
    Console.WriteLine($"| trust 1 lifecycles, in-process ({workerCount} workers × {slots} slots) | {inProcess1:N0} tasks/s |");
    var fleetWhere = fleetProcess ? "fleet in its own process" : "fleet in the silo's process";
    Console.WriteLine($"| trust 1 lifecycles, over gRPC ({workerCount} sessions × {slots} slots, {fleetWhere}) | {lifecycle.Trust1.Rate:N0} tasks/s ({lifecycle.Trust1.Rate / inProcess1:P0} of in-process); silo process {lifecycle.Trust1.CpuMicroseconds:N0} µs CPU, {lifecycle.Trust1.AllocatedBytes / 1024:N1} KiB allocated per lifecycle |");
    Console.WriteLine($"| trust 3 lifecycles, in-process | {inProcess3:N0} tasks/s |");
    Console.WriteLine($"| trust 3 lifecycles, over gRPC ({fleetWhere}) | {lifecycle.Trust3.Rate:N0} tasks/s ({lifecycle.Trust3.Rate / inProcess3:P0} of in-process); silo process {lifecycle.Trust3.CpuMicroseconds:N0} µs CPU, {lifecycle.Trust3.AllocatedBytes / 1024:N1} KiB allocated per task |");
}

if (capacity is not null)
{
    Console.WriteLine($"| sessions opened | {capacity.Opened:N0} of {sessionCount:N0} in {capacity.OpenSeconds:F1} s ({capacity.Opened / capacity.OpenSeconds:N0} handshakes/s) |");
    Console.WriteLine($"| held ({(idleFree > 0 ? "idle, looking for work" : "busy, heartbeats only")}) with a heartbeat every {heartbeat.TotalSeconds:0} s for {holdSeconds} s | {capacity.StillOpen:N0} open, {capacity.Ended:N0} ended, {capacity.Lost:N0} declared lost |");
    Console.WriteLine($"| heartbeats sent / latest send behind schedule | {capacity.Heartbeats:N0} / {capacity.MaxLateMs:N0} ms |");
    Console.WriteLine($"| oldest heartbeat seen by a worker grain at the end | {capacity.OldestHeartbeatSeconds:F1} s (lost after {lostAfter.TotalSeconds:0.#} s) |");
    var whose = fleetProcess ? "server alone; clients in their own process" : "client + server";
    Console.WriteLine($"| CPU while holding ({whose}) | {capacity.CpuCores:F2} cores{(fleetProcess ? $" (clients: {capacity.FleetCpuCores:F2} cores)" : string.Empty)} |");
    Console.WriteLine($"| memory per session ({whose}, managed heap after a full collection) | {capacity.BytesPerSession / 1024:N1} KiB |");
    Console.WriteLine($"| working set with {capacity.Opened:N0} sessions | {capacity.WorkingSetMiB:N0} MiB, {capacity.WorkingSetBytesPerSession / 1024:N1} KiB per session (peak {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024):N0} MiB) |");
    if (capacity.Detection is { } d)
    {
        Console.WriteLine($"| lost-worker detection: {d.Silenced} sessions stop heartbeating (streams left open) | {d.Ended} ended ({d.ByGrain} by the worker grain's loss), median {d.MedianSeconds:F1} s, worst {d.MaxSeconds:F1} s after the last beat; {capacity.Lost:N0} declared lost |");
    }
}

await app.StopAsync();
return 0;

async Task<double> InProcessAsync(string name, int count, int trust)
{
    // Two deals on one fleet, the second measured: the steady state, as the gRPC lines measure theirs after a warm-up deal.
    var cpuBefore = TimeSpan.Zero;
    var callsBefore = calls.Snapshot();
    double rate = 0;
    await new DemoRunner(grains).RunDealsAsync(new DemoSettings(count, workerCount, trust, 0, 0, false, TimeSpan.FromMinutes(10), slots), 2, deal =>
    {
        if (deal.Index == 0)
        {
            GC.Collect();
            cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            callsBefore = calls.Snapshot();
            return Task.CompletedTask;
        }

        var done = deal.View.Completed + deal.View.Failed;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / Math.Max(1, count);
        rate = done / deal.Elapsed.TotalSeconds;
        Console.WriteLine($"{name} (second deal on a warm fleet): {deal.View.Completed}/{count} completed in {deal.Elapsed.TotalSeconds:F2} s -> {rate:N0} tasks/s, {cpu:N0} µs CPU per task (silo and workers)");
        PrintCalls(callsBefore, count);
        return Task.CompletedTask;
    }, null, CancellationToken.None);
    return rate;
}

async Task<(DealRun Trust1, DealRun Trust3)> LifecycleOverGrpcAsync()
{
    var workers = Enumerable.Range(0, workerCount).Select(_ => new ApiSimulatedWorker(workersClient, slots)).ToList();
    await AuthorizeAsync(workers);
    using var stop = new CancellationTokenSource();
    var beats = HeartbeatLoop.Start(workers, slots, heartbeat, stop.Token);
    await Sessions.ConnectAllAsync(workers, certificateSha256, stop.Token);
    await RunDealAsync("gRPC trust 1, warm-up deal (not counted)", tasks, 1);
    var t1 = await RunDealAsync("gRPC trust 1", tasks, 1);
    var t3 = await RunDealAsync("gRPC trust 3", trust3Tasks, 3);
    Console.WriteLine($"gRPC workers: {workers.Sum(w => w.Accepted):N0} accepted calls, {workers.Sum(w => w.Refused):N0} refused");
    await stop.CancelAsync();
    await beats.Result;
    await Task.WhenAll(workers.Select(w => w.CloseAsync()));
    return (t1, t3);
}

async Task<(DealRun Trust1, DealRun Trust3)> LifecycleOfFleetProcessAsync()
{
    using var fleet = LifecycleFleet.Start($"http://127.0.0.1:{port}", token, workerCount, slots, heartbeat);
    var opened = await fleet.ExpectAsync("FLEET-OPENED");
    Console.WriteLine($"gRPC workers (own process): {opened[0]:N0} sessions opened in {opened[1]:F1} s");
    await RunDealAsync("gRPC trust 1 (fleet in its own process), warm-up deal (not counted)", tasks, 1);
    var t1 = await RunDealAsync("gRPC trust 1 (fleet in its own process)", tasks, 1);
    var t3 = await RunDealAsync("gRPC trust 3 (fleet in its own process)", trust3Tasks, 3);
    if (profileTop > 0)
    {
        // After both deals the silo is warm; only this process is sampled, so the profile is the silo and its edge.
        var profile = SampleProfile.Start();
        await RunDealAsync("gRPC trust 1 (fleet in its own process), profiled", Math.Max(500, tasks / 4), 1);
        var top = await profile.TopAsync(profileTop);
        await profile.DisposeAsync();
        Console.WriteLine($"profile of the silo process during a gRPC trust-1 deal ({top.Samples:N0} samples of working threads)");
        top.Print(Console.Out);
    }

    await fleet.GoOnAsync();
    var done = await fleet.ExpectAsync("FLEET-DONE");
    Console.WriteLine($"gRPC workers: {done[0]:N0} accepted calls, {done[1]:N0} refused; the fleet's CPU over both deals {done[2]:F1} s");
    await fleet.GoOnAsync();
    return (t1, t3);
}

async Task<DealRun> RunDealAsync(string name, int count, int trust)
{
    var deal = new Deal
    {
        Requester = "0x" + new string('1', 40),
        App = "0x" + new string('2', 40),
        Category = 0,
        Trust = trust,
        BotSize = count,
        Params = "bench",
    };
    GC.Collect();
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
    var callsBefore = calls.Snapshot();
    var clock = Stopwatch.StartNew();
    var submitted = await admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
    DealSummary summary;
    do
    {
        await Task.Delay(50);
        summary = (await admin.GetDealAsync(new GetDealRequest { DealId = submitted.DealId })).Deal;
    }
    while (summary.Open > 0 && clock.Elapsed < TimeSpan.FromMinutes(10));

    var done = Math.Max(1, summary.Completed + summary.Failed);
    var run = new DealRun(done / clock.Elapsed.TotalSeconds,
        (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / done,
        (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / (double)done);
    Console.WriteLine($"{name}: {summary.Completed}/{count} completed in {clock.Elapsed.TotalSeconds:F2} s -> {run.Rate:N0} tasks/s, silo process {run.CpuMicroseconds:N0} µs CPU and {run.AllocatedBytes / 1024:N1} KiB per task");
    PrintCalls(callsBefore, done);
    return run;
}

void PrintCalls(IReadOnlyDictionary<string, long> before, int lifecycles)
{
    if (countCalls)
    {
        Console.WriteLine($"  grain calls per lifecycle by method: {calls.PerLifecycleSince(before, lifecycles)}");
    }
}

async Task<Capacity> CapacityAsync()
{
    var sessions = Enumerable.Range(0, sessionCount).Select(_ => new ApiSimulatedWorker(workersClient, 1, freeAtStart: idleFree)).ToList();
    await AuthorizeAsync(sessions);
    GC.Collect(2, GCCollectionMode.Forced, blocking: true);
    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
    using var stop = new CancellationTokenSource();
    var beats = HeartbeatLoop.Start(sessions, idleFree, heartbeat, stop.Token); // sessions beat from the moment they are open
    var open = Stopwatch.StartNew();
    var opened = await Sessions.ConnectAllAsync(sessions, certificateSha256, stop.Token);
    var openSeconds = open.Elapsed.TotalSeconds;
    Console.WriteLine($"sessions: {opened:N0} opened in {openSeconds:F1} s; server registry holds {registry.Count:N0}");
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var hold = Stopwatch.StartNew();
    while (hold.Elapsed < TimeSpan.FromSeconds(holdSeconds))
    {
        await Task.Delay(TimeSpan.FromSeconds(10));
        Console.WriteLine($"  {hold.Elapsed.TotalSeconds:F0} s: {sessions.Count(s => s.Open):N0} open, server registry {registry.Count:N0}, {beats.Sent:N0} heartbeats, worst lateness {beats.MaxLateMs:N0} ms");
    }

    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / hold.Elapsed.TotalSeconds;
    var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
    var workingSet = Process.GetCurrentProcess().WorkingSet64;
    var (_, oldest) = await ScanWorkersAsync(sessions.Select(s => s.Address.ToLowerHex()).ToHashSet());
    var stillOpen = sessions.Count(s => s.Open);
    var ended = sessions.Count(s => s.Ended is not null); // before any is silenced
    var detection = silence > 0 ? await LossDetection.MeasureAsync(sessions, beats, silence, lostAfter * 3) : null;
    var (lost, _) = await ScanWorkersAsync(sessions.Select(s => s.Address.ToLowerHex()).ToHashSet());
    foreach (var group in sessions.Where(s => s.Ended is not null).GroupBy(s => s.Ended!.StatusCode).Take(3))
    {
        Console.WriteLine($"  ended {group.Key}: {group.Count()} (e.g. {group.First().Ended!.Status.Detail})");
    }

    await stop.CancelAsync();
    await beats.Result;
    await Task.WhenAll(sessions.Select(s => s.CloseAsync()));
    return new Capacity(opened, openSeconds, stillOpen, ended, lost, beats.Sent, beats.MaxLateMs, oldest, cpu, 0,
        (heapAfter - heapBefore) / (double)Math.Max(1, opened), workingSet / (1024 * 1024), (workingSet - workingSetBefore) / (double)Math.Max(1, opened), detection);
}

async Task<Capacity> CapacityOfFleetProcessAsync()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true);
    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
    using var fleet = SessionFleet.Start($"http://127.0.0.1:{port}", token, sessionCount, idleFree, heartbeat, silence, lostAfter * 3);
    var openedLine = await fleet.ExpectAsync("FLEET-OPENED");
    var (opened, openSeconds) = ((int)openedLine[0], openedLine[1]);
    Console.WriteLine($"sessions (own process): {opened:N0} opened in {openSeconds:F1} s; server registry holds {registry.Count:N0}");
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var hold = Stopwatch.StartNew();
    while (hold.Elapsed < TimeSpan.FromSeconds(holdSeconds))
    {
        await Task.Delay(TimeSpan.FromSeconds(10));
        Console.WriteLine($"  {hold.Elapsed.TotalSeconds:F0} s: server registry {registry.Count:N0}");
    }

    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / hold.Elapsed.TotalSeconds;
    var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
    var workingSet = Process.GetCurrentProcess().WorkingSet64;
    var (_, oldest) = await ScanWorkersAsync(null);
    var stillOpen = registry.Count;
    await fleet.GoOnAsync();
    var f = await fleet.ExpectAsync("FLEET-DETECTED");
    var detection = new Detection((int)f[0], (int)f[1], (int)f[2], f[3], f[4]);
    var (lost, _) = await ScanWorkersAsync(null);
    await fleet.GoOnAsync();
    var fleetCpu = f[8] / (openSeconds + hold.Elapsed.TotalSeconds); // the child's whole life, mostly handshakes and heartbeats
    return new Capacity(opened, openSeconds, stillOpen, opened - stillOpen, lost, (long)f[6], f[7], oldest, cpu, fleetCpu,
        (heapAfter - heapBefore) / (double)Math.Max(1, opened), workingSet / (1024 * 1024), (workingSet - workingSetBefore) / (double)Math.Max(1, opened), detection);
}

async Task<(int Lost, double OldestSeconds)> ScanWorkersAsync(HashSet<string>? mine)
{
    var lost = 0;
    var oldest = 0.0;
    var token2 = string.Empty;
    do
    {
        var page = await admin.ListWorkersAsync(new ListWorkersRequest { PageSize = 1000, PageToken = token2 });
        var now = DateTimeOffset.UtcNow; // after the page arrived: a heartbeat is never newer than this
        foreach (var w in page.Workers.Where(w => mine is null || mine.Contains(w.Address)))
        {
            if (w.State == WorkerState.Lost) lost++;
            if (w.State == WorkerState.Active && w.LastHeartbeat is { } seen) oldest = Math.Max(oldest, (now - seen.ToDateTimeOffset()).TotalSeconds);
        }

        token2 = page.NextPageToken;
    }
    while (token2.Length > 0);
    return (lost, oldest);
}

async Task AuthorizeAsync(IReadOnlyList<ApiSimulatedWorker> workers)
{
    foreach (var batch in workers.Chunk(1000))
    {
        await admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { batch.Select(w => w.Address.ToLowerHex()) } });
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

namespace Orchestrator.GrpcBench
{
    /// <summary>One deal over gRPC: its rate, and the silo process's CPU time and allocated bytes per task (the fleet's too when it shares the process).</summary>
    internal sealed record DealRun(double Rate, double CpuMicroseconds, double AllocatedBytes);

    internal sealed record Capacity(int Opened, double OpenSeconds, int StillOpen, int Ended, int Lost, long Heartbeats, double MaxLateMs, double OldestHeartbeatSeconds,
        double CpuCores, double FleetCpuCores, double BytesPerSession, long WorkingSetMiB, double WorkingSetBytesPerSession, Detection? Detection);
}
