using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Orchestrator.Simulation;
using WorkerClient = Orchestrator.Api.Worker.V1.WorkerSession.WorkerSessionClient;

namespace Orchestrator.GrpcBench;

/// <summary>
/// The held sessions' clients in a second process (<c>--fleet-process 1</c>), so the silo process's heap,
/// working set and CPU are the server's alone: what one held session costs a silo, and what heartbeats
/// cost it. The child opens the sessions, heartbeats them, and on the parent's word silences some and
/// times their detection: it prints <c>FLEET-OPENED</c> and <c>FLEET-DETECTED</c> (<see cref="FleetProcess"/>).
/// </summary>
internal static class SessionFleet
{
    public const string Flag = "--session-fleet-of";

    /// <summary>Starts the child against <paramref name="url"/> (h2c only).</summary>
    public static FleetProcess Start(string url, string token, int sessions, int idleFree, TimeSpan interval, int silence, TimeSpan giveUp)
        => FleetProcess.Start(token, Flag, url, FleetProcess.Invariant(sessions), FleetProcess.Invariant(idleFree), FleetProcess.Invariant(interval.TotalMilliseconds),
            FleetProcess.Invariant(silence), FleetProcess.Invariant(giveUp.TotalSeconds));

    /// <summary>The child's side: <c>--session-fleet-of URL SESSIONS IDLE_FREE INTERVAL_MS SILENCE GIVE_UP_S</c>, the admin token from the environment.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var i = Array.IndexOf(args, Flag);
        var url = args[i + 1];
        var count = int.Parse(args[i + 2], CultureInfo.InvariantCulture);
        var idleFree = int.Parse(args[i + 3], CultureInfo.InvariantCulture);
        var interval = TimeSpan.FromMilliseconds(double.Parse(args[i + 4], CultureInfo.InvariantCulture));
        var silence = int.Parse(args[i + 5], CultureInfo.InvariantCulture);
        var giveUp = TimeSpan.FromSeconds(double.Parse(args[i + 6], CultureInfo.InvariantCulture));
        ThreadPool.SetMinThreads(32, 32);

        var (channel, admin) = FleetProcess.Connect(url);
        using var _ = channel;
        var sessions = Enumerable.Range(0, count).Select(_ => new ApiSimulatedWorker(new WorkerClient(channel), 1, freeAtStart: idleFree)).ToList();
        await FleetProcess.AuthorizeAsync(admin, sessions);

        using var stop = new CancellationTokenSource();
        var beats = HeartbeatLoop.Start(sessions, idleFree, interval, stop.Token);
        var clock = Stopwatch.StartNew();
        var opened = await Sessions.ConnectAllAsync(sessions, [], stop.Token);
        await FleetProcess.ReportAndWaitAsync("FLEET-OPENED", opened, clock.Elapsed.TotalSeconds);

        var detection = await LossDetection.MeasureAsync(sessions, beats, silence, giveUp);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        await FleetProcess.ReportAndWaitAsync("FLEET-DETECTED", detection.Silenced, detection.Ended, detection.ByGrain,
            detection.MedianSeconds, detection.MaxSeconds, sessions.Count(s => s.Open), beats.Sent, beats.MaxLateMs, cpu);

        await stop.CancelAsync();
        await beats.Result;
        await Task.WhenAll(sessions.Select(s => s.CloseAsync()));
        return 0;
    }

}

/// <summary>Opening many sessions at once, sixteen handshakes in flight.</summary>
internal static class Sessions
{
    public static async Task<int> ConnectAllAsync(IReadOnlyList<ApiSimulatedWorker> workers, byte[] certificateSha256, CancellationToken cancellationToken)
    {
        var opened = 0;
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (w, ct) =>
        {
            try
            {
                await w.ConnectAsync(certificateSha256, cancellationToken);
                Interlocked.Increment(ref opened);
            }
            catch (RpcException ex)
            {
                Console.WriteLine($"  connect failed: {ex.Status}");
            }
        });
        return opened;
    }
}
