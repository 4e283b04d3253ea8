using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Workers;

/// <summary>
/// One worker's stream. After the handshake two loops run: the reader handles what the worker sends
/// (heartbeats, contributions, reveals, give-backs) one at a time; the pump asks the worker grain for
/// commands when there is reason to — a signal from the grain (reveal, cancel, drain), a freed slot,
/// or, for a worker with free slots, a slow poll whose interval doubles up to
/// <see cref="ApiOptions.IdlePollInterval"/>. An idle session therefore costs one grain call per
/// heartbeat and one per idle poll, and no thread. The registry's sweep on the injected clock ends a session
/// whose worker stays silent past <see cref="ApiOptions.EffectiveSessionIdleTimeout"/>.
/// </summary>
public sealed partial class WorkerSession : IWorkerSessionObserver
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private readonly IGrainFactory _grains;
    private readonly ApiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WorkerRateLimits _limits;
    private readonly IAsyncStreamReader<Proto.WorkerMessage> _input;
    private readonly IServerStreamWriter<Proto.ServerMessage> _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly PumpSignal _wake = new(TimeProvider.System);
    private readonly CancellationTokenSource _stop = new();
    private RpcException? _endedWith;
    private Exception? _firstFault;
    private int _finished;
    private int _parked;
    private Task _pump = Task.CompletedTask;
    private readonly HashSet<Hash32> _running = [];
    private IWorkerGrain _grain = null!;
    private Address _worker;
    private string _sessionId = string.Empty;
    private int _slots;
    private int _credit;
    private volatile bool _draining;
    private long _lastHeartbeatTicks;
    private List<Hash32>? _pendingCancels;
    private readonly IAppImages _images;

    internal WorkerSession(IGrainFactory grains, ApiOptions options, TimeProvider time, WorkerRateLimits limits, IAppImages images, ILogger logger,
        IAsyncStreamReader<Proto.WorkerMessage> input, IServerStreamWriter<Proto.ServerMessage> output)
    {
        _images = images;
        _grains = grains;
        _options = options;
        _time = time;
        _limits = limits;
        _logger = logger;
        _input = input;
        _output = output;
    }

    /// <summary>The worker, once its hello is verified.</summary>
    public Address Worker => _worker;

    /// <inheritdoc />
    public Task SignalAsync(WorkerSignal signal)
    {
        switch (signal)
        {
            case WorkerSignal.CommandsReady:
                Wake();
                break;
            case WorkerSignal.Draining:
                _draining = true;
                _ = PostAsync(new Proto.ServerMessage { Drain = new Proto.Drain { Reason = "an operator drained this worker: finish or give back what you hold" } });
                break;
            case WorkerSignal.Revoked:
                End(StatusCode.PermissionDenied, $"the pool revoked worker {_worker.ToLowerHex()}");
                break;
            case WorkerSignal.SessionEnded:
                End(StatusCode.Aborted, "this session was replaced by a newer session of the same worker; reconnect to resume");
                break;
            case WorkerSignal.Lost:
                End(StatusCode.DeadlineExceeded, $"the cluster declared this worker lost: no heartbeat within its timeout (send one every {_options.HeartbeatInterval.TotalSeconds:0.#} s); reconnect to resume");
                break;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task CommandAsync(WorkerCommand command)
    {
        // Pushed by the worker grain outside the session's loops. A cancel frees its slot at once.
        if (command is CancelCommand && Release(command.TaskId))
        {
            Wake();
        }

        await PostAsync(ToMessage(command));
    }

    /// <summary>Asks the pump to look for commands now, starting it again if it parked.</summary>
    public void Wake()
    {
        _wake.Set();
        if (Interlocked.CompareExchange(ref _parked, 0, 1) == 1 && !_wake.IsClosed)
        {
            // Not inline: a wake comes from a grain's signal or the reader, which must not run the pump's first look.
            _pump = Task.Run(() => PumpLoopAsync(_stop.Token));
        }
    }

    /// <summary>
    /// Runs the session until the worker leaves, the call is cancelled or the session ends with a status. The pump
    /// runs beside the reader, which runs in this frame (a held session keeps as few frames as it can: this one, the
    /// reader's and the pump's); whichever stops first, or an <see cref="End"/>, stops the other through the session's
    /// one token source. That source is not linked to the call's token (a linked source and its registration for every
    /// held session): a call the client aborts fails the reader's read by itself, and the reader's end stops the pump.
    /// A failure that is not a status already ends the call UNAVAILABLE.
    /// </summary>
    internal async Task RunAsync(SessionRegistry registry, CancellationToken cancellationToken)
    {
        try
        {
            var registration = await HandshakeAsync(cancellationToken);
            var observer = _grains.CreateObjectReference<IWorkerSessionObserver>(this);
            Touch();
            registry.Add(this, _time, _options.EffectiveSessionIdleTimeout / 8);
            try
            {
                await WelcomeAsync(registration, observer, cancellationToken);
                LogSessionOpened(_logger, _worker, _sessionId, registration.Held.Count);
                registration = null!; // this frame lives as long as the session: it need not keep what was resumed
                _pump = PumpLoopAsync(_stop.Token);
                Exception? readFault = null;
                try
                {
                    // The reader, in this frame: one message at a time, each handled before the next is read.
                    while (await _input.MoveNext(_stop.Token))
                    {
                        await HandleAsync(_input.Current, observer, _stop.Token);
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    readFault = ex;
                }

                await StopAsync(readFault);
            }
            finally
            {
                registry.Remove(this);
                await DetachAsync();
                _grains.DeleteObjectReference<IWorkerSessionObserver>(observer);
                LogSessionClosed(_logger, _worker, _sessionId);
            }
        }
        catch (Exception ex) when (ex is not (RpcException or OperationCanceledException or OutOfMemoryException))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the cluster could not serve this session ({ex.GetType().Name}: {ex.Message}); reconnect to resume"));
        }
    }

    /// <summary>The reader stopped: stops the pump, then ends the call with the session's status (an End's, else the first loop's fault).</summary>
    private async Task StopAsync(Exception? readFault)
    {
        Finished(readFault);
        _wake.Close(); // the pump's wait has no token of its own: closed first, so a throwing cancellation callback cannot leave it waiting
        await _stop.CancelAsync();
        await QuietAsync(Volatile.Read(ref _pump)); // a parked pump is no task at all
        if (Volatile.Read(ref _endedWith) is { } ended)
        {
            throw ended;
        }

        if (_firstFault is { } fault)
        {
            throw Translate(fault);
        }
    }

    /// <summary>The reader or the pump stopped (with its fault, if any): the first to stop decides the session's status, and stops the other.</summary>
    private void Finished(Exception? fault)
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _firstFault = fault;
            _ = _stop.CancelAsync();
        }
    }

    private async Task DetachAsync()
    {
        try
        {
            await _grain.DetachAsync(_sessionId);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // best effort: a signal to a closed session is dropped by Orleans anyway
            LogDetachFailed(_logger, _worker, ex.Message);
        }
    }

    private async Task<WorkerRegistration> HandshakeAsync(CancellationToken cancellationToken)
    {
        var hello = await ReadFirstAsync(cancellationToken, "hello");
        if (hello.BodyCase != Proto.WorkerMessage.BodyOneofCase.Hello)
        {
            throw Require.Invalid($"the first message of a session must be hello, got {hello.BodyCase}");
        }

        var (worker, capabilities, running, agent) = SessionHandshake.ReadHello(hello.Hello);
        var challenge = SessionHandshake.NewChallenge(_time.GetUtcNow(), _options);
        await SendAsync(new Proto.ServerMessage { Challenge = challenge }, cancellationToken);
        var proof = await ReadFirstAsync(cancellationToken, "proof");
        if (proof.BodyCase != Proto.WorkerMessage.BodyOneofCase.Proof)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the answer to the challenge must be proof (a signature), got {proof.BodyCase}"));
        }

        var evidence = SessionHandshake.VerifyProof(proof.Proof, worker, capabilities, challenge.Nonce.ToByteArray(), _options);

        // Counted only once the proof holds: a Hello alone can name anyone, and counting it would let a
        // stranger use up a real worker's sessions. Before the pool is asked, so a flood costs no grain call.
        _limits.AdmitSession(worker);
        if (!await _grains.Pool().IsAuthorizedAsync(worker))
        {
            // Checked before the worker grain is touched, so addresses the pool never heard of activate nothing.
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"worker {worker.ToLowerHex()} is not authorized by this pool (the pool owner authorizes it with PoolAdmin.AuthorizeWorkers)"));
        }

        _worker = worker;
        _slots = capabilities.Slots;
        _sessionId = Guid.NewGuid().ToString("n");
        _grain = _grains.Worker(worker);
        var simulated = evidence?.Format == EvidenceFormat.Simulated;
        var registration = await _grain.RegisterAsync(new WorkerHello(worker, capabilities, _sessionId, simulated, evidence));
        switch (registration.Outcome)
        {
            case RegistrationOutcome.NotAuthorized:
                throw new RpcException(new Status(StatusCode.PermissionDenied, registration.Message));
            case RegistrationOutcome.InvalidCapabilities:
                throw Require.Precondition($"capabilities refused by the pool policy: {registration.Message}");
            case RegistrationOutcome.AttestationFailed:
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"attestation refused: {registration.Message}"));
        }

        _pendingCancels = running.Where(id => registration.Held.All(h => h.TaskId != id)).ToList();
        LogHello(_logger, worker, agent);
        return registration;
    }

    private async Task WelcomeAsync(WorkerRegistration registration, IWorkerSessionObserver observer, CancellationToken cancellationToken)
    {
        var welcome = new Proto.Welcome
        {
            SessionId = _sessionId,
            Score = registration.Score,
            HeartbeatInterval = Duration.FromTimeSpan(_options.HeartbeatInterval),
            HeartbeatTimeout = Duration.FromTimeSpan(_options.EffectiveSessionIdleTimeout),
            MaxResultBytes = _options.MaxResultBytes,
        };
        var heldImages = new List<string?>(registration.Held.Count);
        foreach (var held in registration.Held)
        {
            heldImages.Add(await _images.ImageForAsync(held.Assignment.DealId, held.Assignment.App, cancellationToken));
        }

        lock (_running)
        {
            for (var i = 0; i < registration.Held.Count; i++)
            {
                var held = registration.Held[i];
                _running.Add(held.TaskId);
                welcome.Resumed.Add(WorkerMapping.ToProto(held, resumed: true, _options.AppUris, heldImages[i]));
            }

            _credit = _slots - _running.Count;
        }

        await SendAsync(new Proto.ServerMessage { Welcome = welcome }, cancellationToken);
        foreach (var taskId in _pendingCancels ?? [])
        {
            await SendAsync(new Proto.ServerMessage { Cancel = new Proto.Cancel { TaskId = taskId.ToString(), Reason = "no longer yours: released while your session was down" } }, cancellationToken);
        }

        _pendingCancels = null; // sent: a held session need not keep the list

        // Attached only after Welcome is on the stream: the grain pushes commands (a reveal request, a
        // cancel, a drain) the moment it has an observer, and a worker must never see one before its
        // Welcome. What the grain queued meanwhile, it signals for at the attach.
        if (!await _grain.AttachAsync(_sessionId, observer))
        {
            throw new RpcException(new Status(StatusCode.Aborted, "a newer session of this worker registered meanwhile; reconnect"));
        }
    }

    /// <summary>Only heartbeats count as life, as they do for the worker grain, so session and grain agree on who is silent.</summary>
    private void Touch() => Interlocked.Exchange(ref _lastHeartbeatTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>Ends the session with a status (the first one set wins) and stops its loops.</summary>
    private void End(StatusCode code, string message)
    {
        if (Interlocked.CompareExchange(ref _endedWith, new RpcException(new Status(code, message)), null) is null)
        {
            _ = _stop.CancelAsync();
        }
    }

    /// <summary>
    /// The session's own backstop against a zombie: a worker whose connection stays open while it sends
    /// nothing. The worker grain stays the only judge of loss (its Lost signal ends the session first in
    /// the normal case); this closes only this stream, when that signal never came (a grain that lost its
    /// observer, a grain timeout set longer than the session's), so a dead stream does not hold a slot
    /// of the server forever. Called eight times per timeout by the registry's one sweep, on the injected clock,
    /// so a silent stream ends at most an eighth of the timeout late (9 s + 1.1 s with the defaults).
    /// </summary>
    internal void EndIfSilent()
    {
        var silent = _time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastHeartbeatTicks), TimeSpan.Zero);
        if (silent > _options.EffectiveSessionIdleTimeout)
        {
            End(StatusCode.DeadlineExceeded, $"no heartbeat for {silent.TotalSeconds:0.#} s, past the session idle timeout of {_options.EffectiveSessionIdleTimeout.TotalSeconds:0.#} s (rule: Orchestrator:Api:SessionIdleTimeout; send a heartbeat every {_options.HeartbeatInterval.TotalSeconds:0.#} s); reconnect to resume");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} says hello ({Agent})")]
    private static partial void LogHello(ILogger logger, Address worker, string agent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} session {Session} opened, {Resumed} replicates resumed")]
    private static partial void LogSessionOpened(ILogger logger, Address worker, string session, int resumed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} session {Session} closed")]
    private static partial void LogSessionClosed(ILogger logger, Address worker, string session);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} session could not detach: {Reason}")]
    private static partial void LogDetachFailed(ILogger logger, Address worker, string reason);
}
