using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Host.Hosting;
using Orchestrator.Host.Persistence.GroupCommit;
using Orchestrator.Simulation;
using Orchestrator.PgBench;

// Usage: Orchestrator.PgBench [tasks] [workers] [admin connection string] [tee | trust] [providers=AdoNet,GroupCommit]
// Runs task lifecycles on one silo whose grain state and reminders are in PostgreSQL, once with each
// grain storage provider (Orleans' ADO.NET one, the project's group-commit one), counts the database
// writes and commits they cost, runs the same deal on in-memory state, then pgbench -N on the same
// server: every figure of one run, so they compare as ratios.
var tasks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000;
var workers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
var admin = args.Length > 2 && args[2].Length > 0 ? args[2]
    : Environment.GetEnvironmentVariable("ORCHESTRATOR_PG_ADMIN") ?? "Host=127.0.0.1;Port=5432;Database=orchestrator_test;Username=orchestrator;Password=orchestrator";
// "tee": trust 1 on the TEE fast path (enclave key from the secret service); a number: that trust without TEE.
var mode = args.Length > 3 ? args[3] : "tee";
var tee = mode.Equals("tee", StringComparison.OrdinalIgnoreCase);
var trust = tee ? 1 : int.Parse(mode, CultureInfo.InvariantCulture);
// The durable providers to run (the ADO.NET one is slow: leave it out to measure group commit alone).
var providers = (args.Length > 4 ? args[4] : "AdoNet,GroupCommit").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

var allFinal = true;
Console.WriteLine($"{tasks} tasks, trust {trust}{(tee ? " (TEE fast path)" : string.Empty)}, {workers} simulated workers, 1 silo");
double durable = 0;
foreach (var provider in providers)
{
    await using var state = await ScratchDatabase.CreateAsync(admin, "orch_bench");
    var (summary, before, after, statistics, cost) = await RunAsync(new Dictionary<string, string?>
    {
        ["Orchestrator:Storage"] = "Postgres",
        ["Orchestrator:PostgresGrainStorage"] = provider,
        ["Orchestrator:Reminders"] = "Postgres",
        ["Orchestrator:PostgresConnectionString"] = state.ConnectionString,
        ["Orchestrator:MigrateOnStart"] = "true",
    }, state);
    var finished = Math.Max(summary.Completed + summary.Failed, 1);
    allFinal &= summary.AllFinal;
    Console.WriteLine($"PostgreSQL state ({provider}): {summary.Completed + summary.Failed}/{tasks} tasks in {summary.Elapsed.TotalSeconds:F1} s = {summary.Throughput:F0} task lifecycles/s");
    Console.WriteLine($"  row writes per task lifecycle: {(after.TupleWrites - before.TupleWrites) / (double)finished:F2}");
    Console.WriteLine($"  commits per task lifecycle (reads included): {(after.Commits - before.Commits) / (double)finished:F2}");
    Console.WriteLine($"  WAL per task lifecycle (whole server): {(after.WalBytes - before.WalBytes) / (double)finished:F0} bytes");
    var updates = after.StateUpdates - before.StateUpdates;
    if (updates > 0)
    {
        Console.WriteLine($"  grain state updates kept in their page (no index write): {(after.HotStateUpdates - before.HotStateUpdates) / (double)updates:P0}");
    }

    Console.WriteLine($"  {cost}");
    if (statistics is { RoundTrips: > 0 })
    {
        Console.WriteLine($"  grain storage operations per task lifecycle: {statistics.Operations / (double)finished:F2}, per round trip (one commit each): {statistics.Operations / (double)statistics.RoundTrips:F1}, state bytes written per task lifecycle: {statistics.PayloadBytes / (double)finished:F0}");
        durable = summary.Throughput;
    }
}

var (memory, _, _, _, memoryCost) = await RunAsync(new Dictionary<string, string?> { ["Orchestrator:Storage"] = "Memory" }, null);
allFinal &= memory.AllFinal;
Console.WriteLine($"in-memory state (same run): {memory.Throughput:F0} task lifecycles/s");
Console.WriteLine($"  {memoryCost}");

await using var scratch = await ScratchDatabase.CreateAsync(admin, "orch_pgbench");
var tps = await PgBenchFloor.RunAsync(scratch.ConnectionString, 10);
Console.WriteLine(tps is { } floor
    ? $"pgbench -N -c 8 -j 2 -T 10 on the same server: {floor.Tps:F0} transactions/s (the floor for one durable write)"
      + $"\n  per transaction: PostgreSQL CPU {floor.ServerCpu.TotalMicroseconds:F0} µs (whole server), pgbench CPU {floor.ClientCpu.TotalMicroseconds:F0} µs"
    : "pgbench -N: not available");
if (tps is { } pgbench && durable > 0)
{
    Console.WriteLine($"group commit / pgbench -N: {durable / pgbench.Tps:P0}; group commit / in-memory: {durable / memory.Throughput:P0}");
}

return allFinal ? 0 : 1;

async Task<(DemoSummary Summary, DatabaseCounters Before, DatabaseCounters After, GroupCommitStatistics? Statistics, string Cost)> RunAsync(
    Dictionary<string, string?> settings, ScratchDatabase? database)
{
    settings["Orchestrator:Clustering"] = "Localhost";
    // Durable state needs a configured master key for the secret service (TEE enclave keys are sealed under it).
    settings["Orchestrator:Secrets:MasterKeys:bench"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    settings["Orchestrator:SiloPort"] = "21111";
    settings["Orchestrator:GatewayPort"] = "31000";
    var builder = EmbeddedCluster.CreateBuilder([], configure: b => b.Configuration.AddInMemoryCollection(settings));
    using var host = builder.Build();
    await host.StartAsync();
    var runner = new DemoRunner(host.Services.GetRequiredService<IGrainFactory>());

    // Warm-up: JIT, pools, first activations of the pool and dispatch grains, repeated for at least
    // 15 s. The runtime compiles hot methods to their final tier in the background, some time after
    // their first calls: a provider measured first in its process after one 200-task deal (GroupCommit as
    // the fifth argument) ran on code still partly unoptimized, and cost the silo 760-870 µs of CPU per
    // lifecycle against 510-550 µs for the same binary after an ADO.NET run, or with tiering disabled.
    var warmUp = System.Diagnostics.Stopwatch.StartNew();
    do
    {
        await runner.RunAsync(new DemoSettings(Math.Clamp(tasks / 5, 200, 2_000), workers, trust, 0, 0, tee, TimeSpan.FromMinutes(2), Slots: 8), null, CancellationToken.None);
    }
    while (warmUp.Elapsed < TimeSpan.FromSeconds(15));

    var statistics = host.Services.GetService<GroupCommitStatistics>();
    var (operations, roundTrips, bytes) = (statistics?.Operations ?? 0, statistics?.RoundTrips ?? 0, statistics?.PayloadBytes ?? 0);
    var before = database is null ? default : await database.CountersAsync();
    var costBefore = CostReading.Take(database?.Name);
    var summary = await runner.RunAsync(new DemoSettings(tasks, workers, trust, 0, 0, tee, TimeSpan.FromMinutes(5), Slots: 8), null, CancellationToken.None);
    var costAfter = CostReading.Take(database?.Name);
    var after = database is null ? default : await database.CountersAsync();
    var measured = statistics is null ? null : new GroupCommitStatistics();
    measured?.Add(statistics!.Operations - operations, statistics.RoundTrips - roundTrips, statistics.PayloadBytes - bytes);
    await host.StopAsync();
    return (summary, before, after, measured, CostReading.PerLifecycle(costBefore, costAfter, summary.Completed + summary.Failed));
}
