using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Domain.Deals;
using Orchestrator.Host.Hosting;
using Orchestrator.Simulation;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator demo`: a deal across simulated workers on the embedded silo, with live progress and a summary.</summary>
internal static class DemoCommand
{
    private static readonly Category DemoCategory = new(100, "DEMO", TimeSpan.FromSeconds(10));

    public static Command Create()
    {
        var tasks = new Option<int>("--tasks") { Description = "Tasks in the deal.", DefaultValueFactory = _ => 500 };
        var workers = new Option<int>("--workers") { Description = "Simulated workers.", DefaultValueFactory = _ => 20 };
        // No fixed default: 3 for a plain deal, 1 with --tee (a TEE deal accepts only 0 or 1), so `demo --tee` runs as is.
        var trust = new Option<int?>("--trust") { Description = "The deal's trust (1 = one contribution; 3 = two agreeing fresh workers). Default 3, or 1 with --tee." };
        var faulty = new Option<int>("--faulty") { Description = "Workers that return wrong results.", DefaultValueFactory = _ => 0 };
        var lost = new Option<int>("--lost") { Description = "Workers that vanish mid-deal holding work.", DefaultValueFactory = _ => 0 };
        var tee = new Option<bool>("--tee") { Description = "Run a TEE deal (simulated SGX enclaves; trust must be 0 or 1)." };
        var timeout = new Option<int>("--timeout") { Description = "Give up after this many seconds.", DefaultValueFactory = _ => 300 };
        var api = new AdminApi(defaultUrl: null);
        var category = new Option<int?>("--category") { Description = "With --api: the deal's category id (one the pool knows, e.g. from Orchestrator:Categories); default XS." };
        var command = new Command("demo", "Run a deal across simulated workers in this process and print a summary (on an embedded silo, or with --api against a running pool over its gRPC API).") { tasks, workers, trust, faulty, lost, tee, timeout, category };
        foreach (var option in api.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            // Checked here, not in a command validator: a validator reads an option the user left out as 0,
            // not as its default, so a bare `demo` was refused for "--workers must be 1..100000".
            var settings = new DemoSettings(parse.GetValue(tasks), parse.GetValue(workers), TrustOf(parse.GetValue(trust), parse.GetValue(tee)), parse.GetValue(faulty),
                parse.GetValue(lost), parse.GetValue(tee), TimeSpan.FromSeconds(parse.GetValue(timeout)), CategoryId: DemoCategory.Id);
            var problems = Problems(settings, remote: parse.GetValue(api.Url) is not null);
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await Console.Error.WriteLineAsync(problem);
                }

                return 2;
            }

            if (parse.GetValue(api.Url) is not null)
            {
                var (connection, error) = api.Open(parse);
                if (connection is null)
                {
                    await Console.Error.WriteLineAsync(error);
                    return 2;
                }

                // A running pool knows only its own categories: the demo's short one is local.
                using (connection)
                {
                    return await ApiDemo.RunAsync(connection, settings with { CategoryId = parse.GetValue(category) ?? Category.XS.Id }, cancellationToken);
                }
            }

            return await RunEmbeddedAsync(settings, cancellationToken);
        });
        return command;
    }

    private static int TrustOf(int? given, bool tee) => given ?? (tee ? 1 : 3);

    /// <summary>Each bad setting, one line naming the option and its range.</summary>
    private static List<string> Problems(DemoSettings settings, bool remote)
    {
        var problems = new List<string>();
        if (settings.Tasks is < 1 or > 1_000_000) problems.Add("--tasks must be 1..1000000");
        if (settings.Workers is < 1 or > 100_000) problems.Add("--workers must be 1..100000");
        if (settings.Faulty < 0 || settings.Lost < 0) problems.Add("--faulty and --lost cannot be negative");
        if (settings.Faulty + settings.Lost > settings.Workers) problems.Add("--faulty plus --lost cannot exceed --workers");
        if (settings.Trust is < 0 or > 100) problems.Add("--trust must be 0..100");
        if (settings.Tee && settings.Trust > 1) problems.Add("TEE deals accept only --trust 0 or 1");
        if (settings.Tee && remote) problems.Add("--tee runs on the embedded silo only (simulated enclaves need the pool to allow simulated evidence)");
        if (settings.Timeout <= TimeSpan.Zero) problems.Add("--timeout must be positive");
        return problems;
    }

    private static async Task<int> RunEmbeddedAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        var builder = EmbeddedCluster.CreateBuilder([], configure: b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // A vanished worker is noticed within seconds in the demo.
                ["Orchestrator:Scheduling:HeartbeatTimeout"] = "00:00:05",
            });

            // Pool admins may add categories; the demo's has a 10 s timeref, so a vanished winner's
            // unrevealed work finalizes at its reveal deadline (2 timerefs) within the run.
            b.Services.AddSingleton(new CategoryCatalog([DemoCategory]));
        });
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var code = await RunDemoAsync(host.Services.GetRequiredService<IGrainFactory>(), settings, cancellationToken);
        await host.StopAsync(CancellationToken.None);
        return code;
    }

    private static async Task<int> RunDemoAsync(IGrainFactory grains, DemoSettings settings, CancellationToken cancellationToken)
    {

        AnsiConsole.MarkupLine($"[bold]Orchestrator demo[/]: {settings.Tasks} tasks, {settings.Workers} workers, trust {settings.Trust}, {settings.Faulty} faulty, {settings.Lost} vanishing{(settings.Tee ? ", TEE (simulated SGX)" : string.Empty)}");
        var interactive = !Console.IsOutputRedirected;
        var lastPrint = TimeSpan.Zero;
        var summary = await new DemoRunner(grains).RunAsync(settings, p =>
        {
            if (interactive)
            {
                Console.Write($"\r  {p.Elapsed.TotalSeconds,6:F1}s  completed {p.Completed,7}/{p.Total}  failed {p.Failed,5}  {Bar(p)}");
            }
            else if (p.Elapsed - lastPrint >= TimeSpan.FromSeconds(1))
            {
                lastPrint = p.Elapsed;
                Console.WriteLine($"  {p.Elapsed.TotalSeconds,6:F1}s  completed {p.Completed}/{p.Total}  failed {p.Failed}");
            }
        }, cancellationToken);
        if (interactive) Console.WriteLine();

        var table = new Table().Title("[bold]Summary[/]").AddColumn("Measure").AddColumn(new TableColumn("Value").RightAligned());
        table.AddRow("deal", summary.DealId.ToString());
        table.AddRow("tasks completed", $"{summary.Completed}/{summary.Tasks}");
        table.AddRow("tasks failed", summary.Failed.ToString());
        table.AddRow("contributions", summary.Contributions.ToString());
        table.AddRow("consensus rounds", summary.ConsensusRounds.ToString());
        table.AddRow("workers penalised", summary.Penalised.Count.ToString());
        table.AddRow("workers lost", summary.LostWorkers.ToString());
        table.AddRow("elapsed", $"{summary.Elapsed.TotalSeconds:F2} s");
        table.AddRow("throughput", $"{summary.Throughput:F1} tasks/s");
        AnsiConsole.Write(table);
        if (summary.Penalised.Count > 0)
        {
            var penalised = new Table().Title("Penalised workers").AddColumn("worker").AddColumn("lost votes").AddColumn("won").AddColumn("score");
            foreach (var w in summary.Penalised)
            {
                penalised.AddRow(w.Worker.ToString(), w.Losses.ToString(), w.Wins.ToString(), w.Score.ToString());
            }

            AnsiConsole.Write(penalised);
        }

        var ok = summary.AllFinal;
        AnsiConsole.MarkupLine(ok ? "[green]every task reached a final status[/]" : $"[red]{summary.Tasks - summary.Completed - summary.Failed} tasks did not reach a final status[/]");
        return ok ? 0 : 1;
    }

    private static string Bar(DemoProgress p)
    {
        var done = p.Total == 0 ? 0 : (p.Completed + p.Failed) * 30 / p.Total;
        return "[" + new string('#', done) + new string('.', 30 - done) + "]";
    }
}
