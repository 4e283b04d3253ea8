using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Domain.Containers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;
using Orchestrator.Worker.Execution.Containers;

// Usage: Orchestrator.ContainerBench [runs] [pulls]
// Needs the engine, the registry and the test images: scripts/services/podman.sh, scripts/services/registry.sh,
// scripts/test-images.sh (their run directory: ORCHESTRATOR_CONTAINERS_DIR, default /var/tmp/orchestrator-containers).
// 1. Start-to-exit per task of a trivial app (writes one line to its output), median of `runs` after one warm-up:
//    the process executor (/bin/sh) beside the Docker executor (the app image, cached, on podman with runc).
// 2. Pull of the 50 MiB image from the local registry: cold (removed first), median of `pulls`, then cached.
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
var pulls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var runDir = Environment.GetEnvironmentVariable("ORCHESTRATOR_CONTAINERS_DIR") is { Length: > 0 } dir ? dir : "/var/tmp/orchestrator-containers";
var images = File.ReadAllLines(Path.Combine(runDir, "images.env"))
    .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
var appImage = images["app"];
var bigImage = images["big"];

using var engine = new DockerEngineClient(Path.Combine(runDir, "podman.sock"));
var policy = new PullPolicy(TimeSpan.FromMinutes(5), 1, 1L << 32, TimeSpan.FromSeconds(1));
var docker = new DockerExecutor(engine, new DockerExecutorSettings("0xbench" + Environment.ProcessId, policy, 64, 1L << 26), TimeProvider.System, NullLogger<DockerExecutor>.Instance);
var process = new ProcessExecutor(1L << 26, NullLogger<ProcessExecutor>.Instance);
var work = Directory.CreateTempSubdirectory("orch-containerbench-").FullName;
try
{
    Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {runs} runs each (median after one warm-up)");
    var app = Address.Parse("0x0000000000000000000000000000000000000001");
    var processApp = new AllowedApp(app, "/bin/sh", ["-c", "echo computed > \"$IEXEC_OUT/result.txt\""], null, null);
    var containerApp = new AllowedApp(app, null, [], appImage, null);
    var processMs = await MedianAsync(process, processApp, string.Empty);
    var containerMs = await MedianAsync(docker, containerApp, "echo");
    Console.WriteLine($"{"start-to-exit per task",-28} {"median ms",10}");
    Console.WriteLine($"{"process executor",-28} {processMs,10:F1}");
    Console.WriteLine($"{"docker executor (podman)",-28} {containerMs,10:F1}");
    Console.WriteLine($"{"container overhead",-28} {containerMs - processMs,10:F1}");

    var big = ImageReference.Parse(bigImage);
    var info = await engine.InspectImageAsync(big.ToString(), CancellationToken.None);
    var cold = new List<double>();
    for (var i = 0; i < pulls; i++)
    {
        await engine.RemoveImageAsync(big.ToString(), CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var fetch = await docker.Images.EnsureAsync(big, CancellationToken.None);
        cold.Add(clock.Elapsed.TotalMilliseconds);
        if (!fetch.Pulled) throw new InvalidOperationException("a removed image was not pulled");
    }

    var cachedClock = Stopwatch.StartNew();
    var cached = await docker.Images.EnsureAsync(big, CancellationToken.None);
    var cachedMs = cachedClock.Elapsed.TotalMilliseconds;
    if (cached.Pulled) throw new InvalidOperationException("a held image was pulled again");
    info ??= await engine.InspectImageAsync(big.ToString(), CancellationToken.None);
    Console.WriteLine($"pull of {big.Repository} ({(info?.Size ?? 0) / (1024.0 * 1024):F0} MiB) from the local registry: cold {Median(cold):F0} ms (median of {pulls}), cached {cachedMs:F1} ms");
}
finally
{
    Directory.Delete(work, recursive: true);
}

async Task<double> MedianAsync(IExecutor executor, AllowedApp app, string parameters)
{
    var times = new List<double>();
    for (var i = 0; i <= runs; i++)
    {
        var request = new ExecutionRequest
        {
            TaskId = new Hash32(RandomNumberGenerator.GetBytes(32)),
            DealId = new Hash32(RandomNumberGenerator.GetBytes(32)),
            Index = i,
            App = app,
            Params = parameters,
            MaxRunTime = TimeSpan.FromMinutes(1),
            MemoryMb = 128,
        };
        var clock = Stopwatch.StartNew();
        var result = await executor.RunAsync(request, TaskWorkspace.Create(work, request.TaskId), CancellationToken.None);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (result.Outcome != ExecutionOutcome.Completed) throw new InvalidOperationException($"run {i}: {result.Message}");
        if (i > 0) times.Add(elapsed); // the first run warms caches (the image, the runtime's binaries)
    }

    return Median(times);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
