using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orchestrator.Grains.Infrastructure;

/// <summary>
/// A grain's writes, some through and some behind (coalesced, as Orleans' Chirper sample does):
/// <see cref="MarkDirty"/> arms one timer that writes once per interval however many changes came
/// meanwhile, <see cref="WriteNowAsync"/> writes at once (and covers what was dirty), and
/// <see cref="FlushOnDeactivateAsync"/> writes what is still dirty when the grain stops, so the next
/// activation on another silo does not start from stale state. Only derived state may be written
/// behind: a change lost with a silo must be one that reconciliation rebuilds.
/// </summary>
public sealed partial class CoalescedWrites<TState>
{
    private readonly IPersistentState<TState> _state;
    private readonly IGrainBase _grain;
    private readonly TimeSpan _interval;
    private readonly Action? _beforeWrite;
    private readonly ILogger _logger;
    private IGrainTimer? _timer;

    /// <param name="state">The grain's persistent state.</param>
    /// <param name="grain">The grain (timers are its own; a failed write deactivates it).</param>
    /// <param name="interval">How long a change may wait before it is written.</param>
    /// <param name="logger">For a flush that fails while the grain stops.</param>
    /// <param name="beforeWrite">Copies in-memory facts into the state object just before each write.</param>
    public CoalescedWrites(IPersistentState<TState> state, IGrainBase grain, TimeSpan interval, ILogger logger, Action? beforeWrite = null)
    {
        _state = state;
        _grain = grain;
        _interval = interval;
        _logger = logger;
        _beforeWrite = beforeWrite;
    }

    /// <summary>True when a change waits to be written.</summary>
    public bool IsDirty { get; private set; }

    /// <summary>Records a change to write within one interval.</summary>
    public void MarkDirty()
    {
        IsDirty = true;
        _timer ??= _grain.RegisterGrainTimer(_ => FlushAsync(), new GrainTimerCreationOptions { DueTime = _interval, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }

    /// <summary>Writes now (a change that must survive a silo loss), carrying any change written behind.</summary>
    public async Task WriteNowAsync(CancellationToken cancellationToken = default)
    {
        IsDirty = false;
        _beforeWrite?.Invoke();
        await _state.WriteOrResetAsync(_grain, cancellationToken);
    }

    /// <summary>
    /// Writes what is dirty as the grain stops. Storage is normally still up while grains deactivate;
    /// when it is not (the silo is already tearing down its storage), the change is lost quietly, since
    /// only derived state is written behind and reconciliation rebuilds it.
    /// </summary>
    public async Task FlushOnDeactivateAsync(CancellationToken cancellationToken)
    {
        DisposeTimer();
        if (!IsDirty)
        {
            return;
        }

        try
        {
            await WriteNowAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFlushFailed(_logger, typeof(TState).Name, ex.Message);
        }
    }

    private async Task FlushAsync()
    {
        DisposeTimer();
        if (IsDirty)
        {
            await WriteNowAsync();
        }
    }

    private void DisposeTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Written-behind {State} not flushed as the grain stopped: {Reason}")]
    private static partial void LogFlushFailed(ILogger logger, string state, string reason);
}
