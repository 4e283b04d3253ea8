using System.Diagnostics;
using Grpc.Core;
using Orchestrator.Simulation;

namespace Orchestrator.GrpcBench;

/// <summary>
/// One loop heartbeats every session: each tick sends the slice of sessions due, so each session beats
/// once per interval, evenly spread, without a timer per session on the client side. A silenced session
/// stops beating (the loss-detection measure); the time of each session's last beat is kept for it.
/// </summary>
internal sealed class HeartbeatLoop
{
    private const int Ticks = 50;
    private readonly IReadOnlyList<ApiSimulatedWorker> _workers;
    private readonly long[] _lastSent;
    private readonly bool[] _silenced;
    private long _sent;

    private HeartbeatLoop(IReadOnlyList<ApiSimulatedWorker> workers)
    {
        _workers = workers;
        _lastSent = new long[workers.Count];
        _silenced = new bool[workers.Count];
    }

    public long Sent => Interlocked.Read(ref _sent);

    public double MaxLateMs { get; private set; }

    public Task Result { get; private set; } = Task.CompletedTask;

    public static HeartbeatLoop Start(IReadOnlyList<ApiSimulatedWorker> workers, int freeSlots, TimeSpan interval, CancellationToken cancellationToken)
    {
        var loop = new HeartbeatLoop(workers);
        loop.Result = Task.Run(() => loop.RunAsync(freeSlots, interval, cancellationToken), CancellationToken.None);
        return loop;
    }

    /// <summary>Stops the heartbeats of session <paramref name="index"/>; returns the Stopwatch timestamp of its last beat.</summary>
    public long Silence(int index)
    {
        Volatile.Write(ref _silenced[index], true);
        return Interlocked.Read(ref _lastSent[index]);
    }

    private async Task RunAsync(int freeSlots, TimeSpan interval, CancellationToken cancellationToken)
    {
        var tick = interval / Ticks;
        var clock = Stopwatch.StartNew();
        for (long n = 0; !cancellationToken.IsCancellationRequested; n++)
        {
            var due = tick * n;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            MaxLateMs = Math.Max(MaxLateMs, (clock.Elapsed - due).TotalMilliseconds);
            var slice = (int)(n % Ticks);
            var sends = new List<Task>();
            for (var i = slice; i < _workers.Count; i += Ticks)
            {
                if (_workers[i].Open && !Volatile.Read(ref _silenced[i]))
                {
                    Interlocked.Exchange(ref _lastSent[i], Stopwatch.GetTimestamp());
                    sends.Add(_workers[i].HeartbeatAsync(freeSlots));
                }
            }

            try
            {
                await Task.WhenAll(sends);
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or ObjectDisposedException)
            {
                // a session that ended is counted by its Ended status
            }

            Interlocked.Add(ref _sent, sends.Count);
        }
    }
}
