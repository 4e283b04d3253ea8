using System.Diagnostics;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Simulation;
using Spectre.Console;
using WorkerClient = Orchestrator.Api.Worker.V1.WorkerSession.WorkerSessionClient;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `demo --api`: the demo against a running pool through its public doors only. The owner's token
/// authorizes the simulated workers and submits the deal (admin API); the workers join over real worker
/// sessions (WorkerSession), as any outside worker would; the progress comes from GetDeal. At the end the
/// demo's workers leave and are revoked, so the pool keeps no authorization it did not have.
/// </summary>
internal static class ApiDemo
{
    public static async Task<int> RunAsync(ApiConnection api, DemoSettings settings, CancellationToken cancellationToken)
    {
        var admin = new PoolAdmin.PoolAdminClient(api.Channel);
        var workers = Enumerable.Range(0, settings.Workers).Select(i => new ApiSimulatedWorker(
            new WorkerClient(api.Channel),
            settings.Slots,
            i < settings.Faulty ? WorkerBehavior.Faulty : i < settings.Faulty + settings.Lost ? WorkerBehavior.Vanishing : WorkerBehavior.Honest)).ToList();
        AnsiConsole.MarkupLine($"[bold]Orchestrator demo[/] against {api.Channel.Target}: {settings.Tasks} tasks, {settings.Workers} workers over gRPC sessions, trust {settings.Trust}, {settings.Faulty} faulty, {settings.Lost} vanishing");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var beats = Task.CompletedTask;
        try
        {
            await admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { workers.Select(w => w.Address.ToLowerHex()) } }, api.Headers, cancellationToken: cancellationToken);
            await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                async (w, ct) => await w.ConnectAsync(api.SeenCertificateSha256, ct));
            beats = HeartbeatAsync(workers, settings.Slots, stop.Token);
            var deal = await admin.SubmitDealAsync(new SubmitDealRequest { Deal = NewDeal(settings) }, api.Headers, cancellationToken: cancellationToken);
            var (summary, elapsed) = await WatchAsync(admin, api.Headers, deal.DealId, settings.Timeout, cancellationToken);
            await PrintAsync(admin, api.Headers, workers, summary, elapsed, cancellationToken);
            return summary.Open == 0 ? 0 : 1;
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.StatusCode}: {ex.Status.Detail}");
            return AdminApi.ExitCode(ex);
        }
        finally
        {
            // Whatever happened: stop beating, close the sessions (each bounded), then revoke the demo's workers.
            await stop.CancelAsync();
            await beats;
            await Task.WhenAll(workers.Select(w => w.CloseAsync()));
            await RevokeAsync(admin, api.Headers, workers);
        }
    }

    private static Deal NewDeal(DemoSettings settings) => new()
    {
        Requester = "0x" + new string('1', 40),
        App = "0x" + new string('2', 40),
        Category = settings.CategoryId,
        Trust = settings.Trust,
        BotSize = settings.Tasks,
        Cores = 1,
        MemoryMb = 512,
        Params = "demo " + Guid.NewGuid().ToString("n")[..8],
    };

    private static async Task<(DealSummary Summary, TimeSpan Elapsed)> WatchAsync(PoolAdmin.PoolAdminClient admin, Metadata headers, string dealId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var lastPrint = TimeSpan.Zero;
        while (true)
        {
            var summary = (await admin.GetDealAsync(new GetDealRequest { DealId = dealId }, headers, cancellationToken: cancellationToken)).Deal;
            if (summary.Open == 0 || clock.Elapsed > timeout)
            {
                return (summary, clock.Elapsed);
            }

            if (clock.Elapsed - lastPrint >= TimeSpan.FromSeconds(1))
            {
                lastPrint = clock.Elapsed;
                Console.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F1}s  completed {summary.Completed}/{summary.BotSize}  failed {summary.Failed}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Every live worker beats at the interval its Welcome asked for (a vanished one no longer does).</summary>
    private static async Task HeartbeatAsync(IReadOnlyList<ApiSimulatedWorker> workers, int freeSlots, CancellationToken cancellationToken)
    {
        var interval = workers.Count == 0 ? TimeSpan.FromSeconds(5) : workers.Min(w => w.HeartbeatInterval) / 2;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await Task.WhenAll(workers.Where(w => w.Open).Select(w => w.HeartbeatAsync(freeSlots)));
                }
                catch (Exception ex) when (ex is RpcException or InvalidOperationException or ObjectDisposedException)
                {
                    // a session that ended shows in the summary
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the deal is final
        }
    }

    private static async Task PrintAsync(PoolAdmin.PoolAdminClient admin, Metadata headers, IReadOnlyList<ApiSimulatedWorker> workers, DealSummary summary, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var table = new Table().Title("[bold]Summary[/]").AddColumn("Measure").AddColumn(new TableColumn("Value").RightAligned());
        table.AddRow("deal", summary.DealId);
        table.AddRow("tasks completed", $"{summary.Completed}/{summary.BotSize}");
        table.AddRow("tasks failed", summary.Failed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("contributions and reveals accepted", workers.Sum(w => w.Accepted).ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("calls refused", workers.Sum(w => w.Refused).ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("elapsed", $"{elapsed.TotalSeconds:F2} s");
        table.AddRow("throughput", $"{(summary.Completed + summary.Failed) / Math.Max(elapsed.TotalSeconds, 0.001):F1} tasks/s");
        AnsiConsole.Write(table);

        var views = new Dictionary<string, WorkerInfo>(StringComparer.Ordinal);
        foreach (var w in workers)
        {
            views[w.Address.ToLowerHex()] = await admin.GetWorkerAsync(new GetWorkerRequest { Address = w.Address.ToLowerHex() }, headers, cancellationToken: cancellationToken);
        }

        var byBehavior = new Table().Title("Workers as the pool sees them").AddColumn("behaviour").AddColumn("workers").AddColumn("mean score").AddColumn("lost");
        foreach (var group in workers.GroupBy(w => w.Behavior).OrderBy(g => g.Key))
        {
            var seen = group.Select(w => views[w.Address.ToLowerHex()]).ToList();
            byBehavior.AddRow(group.Key.ToString(), seen.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                seen.Average(v => v.Score).ToString("F1", System.Globalization.CultureInfo.InvariantCulture), seen.Count(v => v.State == WorkerState.Lost).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(byBehavior);
        AnsiConsole.MarkupLine(summary.Open == 0 ? "[green]every task reached a final status[/]" : $"[red]{summary.Open} tasks did not reach a final status[/]");
    }

    private static async Task RevokeAsync(PoolAdmin.PoolAdminClient admin, Metadata headers, IReadOnlyList<ApiSimulatedWorker> workers)
    {
        try
        {
            await admin.RevokeWorkersAsync(new RevokeWorkersRequest { Addresses = { workers.Select(w => w.Address.ToLowerHex()) } }, headers);
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"could not revoke the demo's workers ({ex.StatusCode}: {ex.Status.Detail}); revoke them with `orchestrator pool revoke`");
        }
    }
}
