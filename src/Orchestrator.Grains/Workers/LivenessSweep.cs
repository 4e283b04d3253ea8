using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// One silo's liveness deadlines for its active worker grains, swept every <see cref="SchedulingOptions.LivenessSweepInterval"/>:
/// a grain whose worker's silence reached the timeout is asked to judge it (<see cref="IWorkerGrain.CheckLivenessAsync"/>).
/// It replaces one grain timer per worker (a timer, its queue entry, token source and callbacks: most of a kilobyte per
/// held session) by one small <see cref="LivenessDeadline"/>, which heartbeats move forward with one field write. A
/// deadline is only a hint for when to ask: the grain stays the judge, on its own state and the protocol clock. The
/// deadlines themselves are instants of real time, as a grain timer's due time was (the grain gives the silence left
/// on the protocol clock, the sweep adds it to its now), so a test that moves the protocol clock is not raced by it.
/// </summary>
public sealed partial class LivenessSweep : IDisposable
{
    private readonly HashSet<LivenessDeadline> _deadlines = [];
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly ILogger<LivenessSweep> _logger;
    private readonly ITimer _timer;

    public LivenessSweep(IGrainFactory grains, IOptions<SchedulingOptions> options, ILogger<LivenessSweep> logger)
        : this(grains, options, logger, TimeProvider.System)
    {
    }

    internal LivenessSweep(IGrainFactory grains, IOptions<SchedulingOptions> options, ILogger<LivenessSweep> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _time = time;
        _timeout = options.Value.HeartbeatTimeout;
        _logger = logger;
        var interval = options.Value.LivenessSweepInterval;
        _timer = time.CreateTimer(_ => _ = SweepAsync(time.GetUtcNow()), null, interval, interval);
    }

    /// <summary>How many deadlines the silo holds.</summary>
    public int Count
    {
        get
        {
            lock (_deadlines)
            {
                return _deadlines.Count;
            }
        }
    }

    /// <summary>Starts watching a worker grain's deadline (its worker has a live session here).</summary>
    public void Track(LivenessDeadline deadline)
    {
        lock (_deadlines)
        {
            _deadlines.Add(deadline);
        }
    }

    /// <summary>Sets when the grain is to be asked: <paramref name="left"/> from now (a heartbeat's call, so one atomic write).</summary>
    public void Due(LivenessDeadline deadline, TimeSpan left)
    {
        ArgumentNullException.ThrowIfNull(deadline);
        deadline.Set(_time.GetUtcNow().UtcTicks + left.Ticks);
    }

    /// <summary>Stops watching it (the worker is lost or revoked, or the grain deactivates).</summary>
    public void Untrack(LivenessDeadline deadline)
    {
        lock (_deadlines)
        {
            _deadlines.Remove(deadline);
        }
    }

    /// <summary>
    /// One sweep: asks every grain whose deadline passed to judge its worker, and completes when they answered. A
    /// deadline asked about moves one timeout on first, so a grain slow to answer is not asked again each sweep; the
    /// grain sets it right when it answers alive. Public so tests drive it at an instant of their choosing.
    /// </summary>
    public Task SweepAsync(DateTimeOffset at)
    {
        var now = at.UtcTicks;
        List<LivenessDeadline>? due = null;
        lock (_deadlines)
        {
            foreach (var deadline in _deadlines)
            {
                if (deadline.SilentAtTicks <= now)
                {
                    (due ??= []).Add(deadline);
                }
            }
        }

        if (due is null)
        {
            return Task.CompletedTask;
        }

        foreach (var deadline in due)
        {
            deadline.Postpone(now + _timeout.Ticks);
        }

        return Task.WhenAll(due.Select(AskAsync));
    }

    public void Dispose() => _timer.Dispose();

    private async Task AskAsync(LivenessDeadline deadline)
    {
        try
        {
            await _grains.GetGrain<IWorkerGrain>(deadline.Grain).CheckLivenessAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Asked again one timeout later (the postponed deadline); the grain may have moved or be stopping.
            LogCheckFailed(_logger, deadline.Grain, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Liveness sweep: asking {Grain} failed, asking again later: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, GrainId grain, string reason);
}

/// <summary>When one worker grain is next to be asked about its worker's liveness (UTC ticks of the sweep's real-time clock).</summary>
public sealed class LivenessDeadline(GrainId grain)
{
    private long _silentAtTicks = long.MaxValue;

    /// <summary>The worker grain to ask.</summary>
    public GrainId Grain { get; } = grain;

    /// <summary>The instant the check is due.</summary>
    public long SilentAtTicks => Volatile.Read(ref _silentAtTicks);

    /// <summary>Sets the instant (heartbeats call this from interleaved turns, hence the atomic write).</summary>
    internal void Set(long ticks) => Volatile.Write(ref _silentAtTicks, ticks);

    /// <summary>Moves the instant on when the sweep asks, unless a heartbeat already moved it further.</summary>
    internal void Postpone(long ticks)
    {
        var seen = SilentAtTicks;
        if (seen < ticks)
        {
            Interlocked.CompareExchange(ref _silentAtTicks, ticks, seen);
        }
    }
}
