using System.Diagnostics;
using System.Globalization;
using Orchestrator.Simulation;
using WorkerClient = Orchestrator.Api.Worker.V1.WorkerSession.WorkerSessionClient;

namespace Orchestrator.GrpcBench;

/// <summary>
/// The lifecycle lines' workers in a child process (<c>--fleet-process 1</c>): the workers' signing,
/// hashing and gRPC client work leave the silo's process, so the rate and the silo's CPU per lifecycle
/// are what a pool pays on its silos. The child opens the sessions and heartbeats them; the parent
/// submits the deals through the admin API; on the parent's word the child closes and reports.
/// </summary>
internal static class LifecycleFleet
{
    public const string Flag = "--lifecycle-fleet-of";

    /// <summary>Starts the child against <paramref name="url"/> (h2c only) with <paramref name="workers"/> sessions of <paramref name="slots"/> slots.</summary>
    public static FleetProcess Start(string url, string token, int workers, int slots, TimeSpan interval)
        => FleetProcess.Start(token, Flag, url, FleetProcess.Invariant(workers), FleetProcess.Invariant(slots), FleetProcess.Invariant(interval.TotalMilliseconds));

    /// <summary>The child's side: <c>--lifecycle-fleet-of URL WORKERS SLOTS INTERVAL_MS</c>.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var i = Array.IndexOf(args, Flag);
        var url = args[i + 1];
        var count = int.Parse(args[i + 2], CultureInfo.InvariantCulture);
        var slots = int.Parse(args[i + 3], CultureInfo.InvariantCulture);
        var interval = TimeSpan.FromMilliseconds(double.Parse(args[i + 4], CultureInfo.InvariantCulture));
        ThreadPool.SetMinThreads(32, 32);

        var (channel, admin) = FleetProcess.Connect(url);
        using var _ = channel;
        // Each worker on a connection of its own, as workers on their own machines are: sharing one HTTP/2 connection,
        // a hundred streams would queue on its one frame writer in the server, a cost no pool's silo pays.
        var channels = Enumerable.Range(0, count).Select(_ => FleetProcess.Channel(url)).ToList();
        var workers = channels.Select(c => new ApiSimulatedWorker(new WorkerClient(c), slots)).ToList();
        await FleetProcess.AuthorizeAsync(admin, workers);
        using var stop = new CancellationTokenSource();
        var beats = HeartbeatLoop.Start(workers, slots, interval, stop.Token);
        var clock = Stopwatch.StartNew();
        var opened = await Sessions.ConnectAllAsync(workers, [], stop.Token);
        var cpuAtOpen = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        await FleetProcess.ReportAndWaitAsync("FLEET-OPENED", opened, clock.Elapsed.TotalSeconds);

        await stop.CancelAsync();
        await beats.Result;
        await Task.WhenAll(workers.Select(w => w.CloseAsync()));
        channels.ForEach(c => c.Dispose());
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpuAtOpen;
        await FleetProcess.ReportAndWaitAsync("FLEET-DONE", workers.Sum(w => w.Accepted), workers.Sum(w => w.Refused), cpu);
        return 0;
    }
}
