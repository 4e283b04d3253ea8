using Microsoft.Extensions.Logging;

namespace Orchestrator.Bridge.Leadership;

/// <summary>
/// One instance's claim to one role (the sender of an account, the listener of a hub): takes the
/// lease, renews it every third of its duration on the injected clock, and steps down — ending its
/// term, whose <see cref="Term"/> token then cancels everything the role was doing — as soon as a
/// renewal fails or the lease went to someone else.
/// <para>
/// Why a lease row and not a grain: two activations of a grain can briefly coexist (DESIGN §7), so a
/// grain alone is no fence. The row's token is checked inside every write of the role
/// (<see cref="Storage.IBridgeStore.FencedBy"/>), so a deposed leader's late write is refused by the
/// database; and a broadcast needs a local view of the lease that is still valid with a margin,
/// measured from before the renewal was asked, so it ends before the database lets a successor in.
/// </para>
/// </summary>
public sealed partial class BridgeLeadership : ILeaseFence
{
    private readonly ILeaseStore _store;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CancellationTokenSource _term = CreateEnded();
    private long _token;
    private DateTimeOffset _validUntil;

    /// <summary>Creates the claim; nothing is taken until <see cref="RunAsync"/> or <see cref="RenewOnceAsync"/>.</summary>
    public BridgeLeadership(ILeaseStore store, string leaseName, string holder, TimeSpan duration, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(leaseName);
        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "a lease must last a positive time");
        }

        _store = store;
        LeaseName = leaseName;
        Holder = holder;
        _duration = duration;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public string LeaseName { get; }

    /// <summary>This instance's name in the lease row.</summary>
    public string Holder { get; }

    /// <summary>
    /// Time kept back from the end of the lease in the local view: covers a broadcast in flight and
    /// clock rates that differ between this silo and the database.
    /// </summary>
    public TimeSpan SafetyMargin => _duration / 5;

    /// <summary>How often the lease is renewed: a third of its duration, so two renewals may fail before it runs out.</summary>
    public TimeSpan RenewInterval => _duration / 3;

    /// <summary>True while this instance holds the lease and its local view has not run out.</summary>
    public bool IsLeader
    {
        get
        {
            lock (_gate)
            {
                return _token != 0 && _time.GetUtcNow() < _validUntil;
            }
        }
    }

    /// <inheritdoc />
    public long Token
    {
        get
        {
            lock (_gate)
            {
                return _token != 0 && _time.GetUtcNow() < _validUntil ? _token : 0;
            }
        }
    }

    /// <summary>Cancelled when the current term ends (already cancelled when not leader).</summary>
    public CancellationToken Term
    {
        get
        {
            lock (_gate)
            {
                return _term.Token;
            }
        }
    }

    /// <summary>Raised (on the renewing loop) when a term starts, with its token.</summary>
    public event Action<long>? Elected;

    /// <summary>Throws <see cref="LeadershipLostException"/> unless this instance may act for the role now.</summary>
    public void EnsureLeader()
    {
        if (!IsLeader)
        {
            throw new LeadershipLostException($"this bridge instance ({Holder}) does not hold the lease {LeaseName}: only the leader writes and broadcasts");
        }
    }

    /// <summary>Takes or renews the lease until cancelled. Cancelling does not release it (a crash does not either).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await RenewOnceAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(RenewInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One take-or-renew; returns whether this instance leads afterwards.</summary>
    public async Task<bool> RenewOnceAsync(CancellationToken cancellationToken)
    {
        // The local view is measured from before the request: the database's expiry is later than that.
        var asked = _time.GetUtcNow();
        LeaseGrant? grant;
        try
        {
            grant = await _store.TryAcquireAsync(LeaseName, Holder, _duration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRenewFailed(_logger, LeaseName, ex.Message);
            grant = null;
        }

        if (grant is null)
        {
            StepDown("the lease could not be renewed or is held by another instance");
            return false;
        }

        long? elected = null;
        lock (_gate)
        {
            if (grant.Token != _token)
            {
                EndTermLocked();
                _token = grant.Token;
                _term = new CancellationTokenSource();
                elected = grant.Token;
            }

            _validUntil = asked + _duration - SafetyMargin;
        }

        if (elected is { } token)
        {
            LogElected(_logger, LeaseName, Holder, token);
            Elected?.Invoke(token);
        }

        return true;
    }

    /// <summary>Ends the term and hands the lease back at once (graceful stop).</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        long token;
        lock (_gate)
        {
            token = _token;
            EndTermLocked();
        }

        if (token != 0)
        {
            await _store.ReleaseAsync(LeaseName, Holder, token, cancellationToken).ConfigureAwait(false);
        }
    }

    private void StepDown(string reason)
    {
        bool was;
        lock (_gate)
        {
            was = _token != 0;
            EndTermLocked();
        }

        if (was)
        {
            LogSteppedDown(_logger, LeaseName, Holder, reason);
        }
    }

    private void EndTermLocked()
    {
        _token = 0;
        _validUntil = DateTimeOffset.MinValue;
        _term.Cancel();
    }

    private static CancellationTokenSource CreateEnded()
    {
        var ended = new CancellationTokenSource();
        ended.Cancel();
        return ended;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Lease}: {Holder} leads (token {Token})")]
    private static partial void LogElected(ILogger logger, string lease, string holder, long token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease}: {Holder} steps down: {Reason}")]
    private static partial void LogSteppedDown(ILogger logger, string lease, string holder, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease}: renewal failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string lease, string reason);
}
