using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Host.Hosting;
using Orchestrator.Host.Simulation;
using Orchestrator.PgBench;

// Usage: Orchestrator.PgBench [tasks] [workers] [admin connection string]
// Runs trust-1 TEE task lifecycles on one silo whose grain state and reminders are in PostgreSQL,
// counts the database writes they cost, then runs pgbench -N on the same server for the floor.
var tasks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000;
var workers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
var admin = args.Length > 2 ? args[2]
    : Environment.GetEnvironmentVariable("ORCHESTRATOR_PG_ADMIN") ?? "Host=127.0.0.1;Port=5432;Database=orchestrator_test;Username=orchestrator;Password=orchestrator";

await using var state = await ScratchDatabase.CreateAsync(admin, "orch_bench");
var builder = EmbeddedCluster.CreateBuilder([], configure: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Orchestrator:Storage"] = "Postgres",
    ["Orchestrator:Reminders"] = "Postgres",
    ["Orchestrator:Clustering"] = "Localhost",
    ["Orchestrator:PostgresConnectionString"] = state.ConnectionString,
    ["Orchestrator:MigrateOnStart"] = "true",
    ["Orchestrator:SiloPort"] = "21111",
    ["Orchestrator:GatewayPort"] = "31000",
    // Durable state needs a configured master key for the secret service (TEE enclave keys are sealed under it).
    ["Orchestrator:Secrets:MasterKeys:bench"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
}));
using var host = builder.Build();
await host.StartAsync();
var runner = new DemoRunner(host.Services.GetRequiredService<IGrainFactory>());

// Warm-up: JIT, pools, first activations of the pool and dispatch grains.
await runner.RunAsync(new DemoSettings(200, workers, 1, 0, 0, true, TimeSpan.FromMinutes(2), Slots: 8), null, CancellationToken.None);

var before = await state.CountersAsync();
var summary = await runner.RunAsync(new DemoSettings(tasks, workers, 1, 0, 0, true, TimeSpan.FromMinutes(5), Slots: 8), null, CancellationToken.None);
var after = await state.CountersAsync();
await host.StopAsync();

var finished = summary.Completed + summary.Failed;
Console.WriteLine($"PostgreSQL state, trust 1 TEE, 1 silo: {finished}/{tasks} tasks in {summary.Elapsed.TotalSeconds:F1} s = {summary.Throughput:F0} task lifecycles/s");
Console.WriteLine($"  database row writes per task lifecycle: {(after.TupleWrites - before.TupleWrites) / (double)Math.Max(finished, 1):F2}");
Console.WriteLine($"  database commits per task lifecycle (reads included): {(after.Commits - before.Commits) / (double)Math.Max(finished, 1):F2}");

await using var scratch = await ScratchDatabase.CreateAsync(admin, "orch_pgbench");
var tps = await PgBenchFloor.RunAsync(scratch.ConnectionString, 10);
Console.WriteLine(tps is { } floor
    ? $"pgbench -N -c 8 -T 10 on the same server: {floor:F0} transactions/s (the floor for one durable write)"
    : "pgbench -N: not available");
return summary.AllFinal ? 0 : 1;
