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
/// heartbeat and one per idle poll, and no thread.
/// </summary>
public sealed partial class WorkerSession : IWorkerSessionObserver
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private readonly IGrainFactory _grains;
    private readonly ApiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IAsyncStreamReader<Proto.WorkerMessage> _input;
    private readonly IServerStreamWriter<Proto.ServerMessage> _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly TaskCompletionSource<RpcException> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<Hash32> _running = [];
    private IWorkerGrain _grain = null!;
    private Address _worker;
    private string _sessionId = string.Empty;
    private int _slots;
    private int _credit;
    private volatile bool _draining;
    private long _lastHeartbeatTicks;
    private List<Hash32> _pendingCancels = [];

    internal WorkerSession(IGrainFactory grains, ApiOptions options, TimeProvider time, ILogger logger,
        IAsyncStreamReader<Proto.WorkerMessage> input, IServerStreamWriter<Proto.ServerMessage> output)
    {
        _grains = grains;
        _options = options;
        _time = time;
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

    /// <summary>Asks the pump to look for commands now.</summary>
    public void Wake() => _wake.Release();

    /// <summary>Runs the session until the worker leaves, the call is cancelled or the session ends with a status.</summary>
    internal async Task RunAsync(SessionRegistry registry, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var registration = await HandshakeAsync(cancellationToken);
        var observer = _grains.CreateObjectReference<IWorkerSessionObserver>(this);
        registry.Add(this);
        try
        {
            await WelcomeAsync(registration, observer, cancellationToken);
            LogSessionOpened(_logger, _worker, _sessionId, registration.Held.Count);
            var reader = ReadLoopAsync(observer, cts.Token);
            var pump = PumpLoopAsync(cts.Token);
            var first = await Task.WhenAny(reader, pump, _ended.Task);
            await cts.CancelAsync();
            await Task.WhenAll(Quiet(reader), Quiet(pump));
            if (_ended.Task.IsCompleted)
            {
                throw await _ended.Task;
            }

            if (first.IsFaulted)
            {
                throw Translate(first.Exception!.InnerException!);
            }
        }
        finally
        {
            registry.Remove(this);
            await DetachAsync();
            _grains.DeleteObjectReference<IWorkerSessionObserver>(observer);
            LogSessionClosed(_logger, _worker, _sessionId);
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
        Touch();
        if (!await _grain.AttachAsync(_sessionId, observer))
        {
            throw new RpcException(new Status(StatusCode.Aborted, "a newer session of this worker registered meanwhile; reconnect"));
        }

        var welcome = new Proto.Welcome
        {
            SessionId = _sessionId,
            Score = registration.Score,
            HeartbeatInterval = Duration.FromTimeSpan(_options.HeartbeatInterval),
            HeartbeatTimeout = Duration.FromTimeSpan(_options.EffectiveSessionIdleTimeout),
            MaxResultBytes = _options.MaxResultBytes,
        };
        lock (_running)
        {
            foreach (var held in registration.Held)
            {
                _running.Add(held.TaskId);
                welcome.Resumed.Add(WorkerMapping.ToProto(held, resumed: true, _options.AppUris));
            }

            _credit = _slots - _running.Count;
        }

        await SendAsync(new Proto.ServerMessage { Welcome = welcome }, cancellationToken);
        foreach (var taskId in _pendingCancels)
        {
            await SendAsync(new Proto.ServerMessage { Cancel = new Proto.Cancel { TaskId = taskId.ToString(), Reason = "no longer yours: released while your session was down" } }, cancellationToken);
        }
    }

    private async Task ReadLoopAsync(IWorkerSessionObserver observer, CancellationToken cancellationToken)
    {
        while (await _input.MoveNext(cancellationToken))
        {
            var message = _input.Current;
            switch (message.BodyCase)
            {
                case Proto.WorkerMessage.BodyOneofCase.Heartbeat:
                    await OnHeartbeatAsync(message.Heartbeat, observer);
                    break;
                case Proto.WorkerMessage.BodyOneofCase.Progress:
                    OnProgress(message.Progress);
                    break;
                case Proto.WorkerMessage.BodyOneofCase.Contribution:
                    await OnContributionAsync(message.RequestId, message.Contribution, cancellationToken);
                    break;
                case Proto.WorkerMessage.BodyOneofCase.TeeContribution:
                    await OnTeeContributionAsync(message.RequestId, message.TeeContribution, cancellationToken);
                    break;
                case Proto.WorkerMessage.BodyOneofCase.Reveal:
                    await OnRevealAsync(message.RequestId, message.Reveal, cancellationToken);
                    break;
                case Proto.WorkerMessage.BodyOneofCase.GiveBack:
                    await OnGiveBackAsync(message.RequestId, message.GiveBack, cancellationToken);
                    break;
                case Proto.WorkerMessage.BodyOneofCase.Hello or Proto.WorkerMessage.BodyOneofCase.Proof:
                    throw Require.Invalid($"{message.BodyCase} is sent once, at the start of a session");
                default:
                    throw Require.Invalid("a worker message needs a body (heartbeat, progress, contribution, tee_contribution, reveal or give_back)");
            }
        }
    }

    private async Task OnHeartbeatAsync(Proto.Heartbeat heartbeat, IWorkerSessionObserver observer)
    {
        var free = Require.Range(heartbeat.FreeSlots, 0, _slots, "heartbeat.free_slots");
        Touch();
        bool more;
        lock (_running)
        {
            more = free > _credit;
            _credit = free;
        }

        if (!await _grain.AttachAsync(_sessionId, observer))
        {
            End(StatusCode.Aborted, "this session is no longer the worker's current one (replaced, or declared lost); reconnect to resume");
            return;
        }

        if (more)
        {
            Wake();
        }
    }

    private void OnProgress(Proto.Progress progress)
    {
        var taskId = Require.Hash(progress.TaskId, "progress.task_id");
        if (progress.Percent > 100)
        {
            throw Require.Invalid($"progress.percent: must be 0..100, got {progress.Percent}");
        }

        Require.Text(progress.Message, 256, "progress.message");
        LogProgress(_logger, _worker, taskId, progress.Percent);
    }

    private async Task OnContributionAsync(ulong requestId, Proto.Contribution c, CancellationToken cancellationToken)
    {
        var taskId = Require.Hash(c.TaskId, "contribution.task_id");
        var resultHash = Require.Hash(c.ResultHash, "contribution.result_hash");
        var resultSeal = Require.Hash(c.ResultSeal, "contribution.result_seal");
        var signature = Require.Signature(c.WorkerSignature, "contribution.worker_signature");
        var result = await _grain.ContributeAsync(taskId, resultHash, resultSeal, signature.ToBytes65());
        await AnswerAsync(requestId, taskId, result, freesSlot: WorkerRun.EndsPart(result.Refusal), cancellationToken);
    }

    private async Task OnTeeContributionAsync(ulong requestId, Proto.TeeContribution c, CancellationToken cancellationToken)
    {
        var taskId = Require.Hash(c.TaskId, "tee_contribution.task_id");
        var digest = Require.Hash(c.ResultDigest, "tee_contribution.result_digest");
        var signature = Require.Signature(c.EnclaveSignature, "tee_contribution.enclave_signature");
        var result = await _grain.ContributeAndFinalizeAsync(taskId, digest, signature.ToBytes65());
        await AnswerAsync(requestId, taskId, result, freesSlot: WorkerRun.EndsPart(result.Refusal), cancellationToken);
    }

    private async Task OnRevealAsync(ulong requestId, Proto.Reveal r, CancellationToken cancellationToken)
    {
        var taskId = Require.Hash(r.TaskId, "reveal.task_id");
        var digest = Require.Hash(r.ResultDigest, "reveal.result_digest");
        var result = await _grain.RevealAsync(taskId, digest);
        await AnswerAsync(requestId, taskId, result, freesSlot: false, cancellationToken);
    }

    private async Task OnGiveBackAsync(ulong requestId, Proto.GiveBack g, CancellationToken cancellationToken)
    {
        var taskId = Require.Hash(g.TaskId, "give_back.task_id");
        Require.Text(g.Reason, 256, "give_back.reason");
        var result = await _grain.GiveBackAsync(taskId);
        await AnswerAsync(requestId, taskId, result, freesSlot: true, cancellationToken);
    }

    private async Task AnswerAsync(ulong requestId, Hash32 taskId, TaskCallResult result, bool freesSlot, CancellationToken cancellationToken)
    {
        if (freesSlot && Release(taskId))
        {
            Wake();
        }

        await SendAsync(new Proto.ServerMessage { CallResult = WorkerMapping.ToProto(result, requestId, taskId.ToString()) }, cancellationToken);
    }

    private async Task PumpLoopAsync(CancellationToken cancellationToken)
    {
        // Look at once (reveals owed from an earlier session, work waiting); a session that finds nothing
        // then waits the full idle interval. The short doubling ladder starts only after a change that
        // makes work likely (a freed slot, a signal, work just found), so a thousand workers joining an
        // idle pool do not sweep the dispatch shards ten times a second each.
        var backoff = _options.IdlePollInterval;
        var delay = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            var signaled = delay == TimeSpan.Zero || await _wake.WaitAsync(delay, cancellationToken);
            while (_wake.CurrentCount > 0 && _wake.Wait(0, CancellationToken.None))
            {
                // coalesce: one look serves every signal that arrived meanwhile
            }

            // Loss is the worker grain's call alone (it signals Lost); a silent worker is only not polled for.
            var silent = _time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastHeartbeatTicks), TimeSpan.Zero);
            var free = FreeSlots();
            if (!signaled && (free == 0 || silent > _options.HeartbeatInterval * 2))
            {
                delay = _options.IdlePollInterval; // nothing to ask for (or the worker looks stalled): wait for a signal
                continue;
            }

            if (signaled)
            {
                backoff = FirstBackoff;
            }

            var poll = await _grain.PollAsync(_sessionId, free);
            if (!poll.Registered)
            {
                await EndNotCurrentAsync();
                return;
            }

            var assigned = 0;
            foreach (var command in poll.Commands)
            {
                assigned += await PushAsync(command, cancellationToken) ? 1 : 0;
            }

            if (assigned > 0)
            {
                backoff = FirstBackoff;
                delay = FreeSlots() > 0 ? TimeSpan.Zero : _options.IdlePollInterval;
            }
            else
            {
                delay = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.IdlePollInterval.Ticks));
            }
        }
    }

    /// <summary>Sends one command; true when it was a new assignment.</summary>
    private async Task<bool> PushAsync(WorkerCommand command, CancellationToken cancellationToken)
    {
        switch (command)
        {
            case AssignCommand assign:
                lock (_running)
                {
                    if (!_running.Add(assign.TaskId))
                    {
                        return false; // already running it: never the same replicate twice
                    }

                    _credit--;
                }

                await SendAsync(new Proto.ServerMessage { Assignment = WorkerMapping.ToProto(assign, resumed: false, _options.AppUris) }, cancellationToken);
                return true;
            case RevealCommand or CancelCommand:
                if (command is CancelCommand)
                {
                    Release(command.TaskId);
                }

                await SendAsync(ToMessage(command), cancellationToken);
                return false;
            default:
                return false;
        }
    }

    private static Proto.ServerMessage ToMessage(WorkerCommand command) => command switch
    {
        RevealCommand reveal => new Proto.ServerMessage { RevealRequest = new Proto.RevealRequest { TaskId = reveal.TaskId.ToString(), RevealDeadline = Timestamp.FromDateTimeOffset(reveal.RevealDeadline) } },
        CancelCommand cancel => new Proto.ServerMessage { Cancel = new Proto.Cancel { TaskId = cancel.TaskId.ToString(), Reason = cancel.Reason } },
        _ => throw new ArgumentException($"{command.GetType().Name} is not pushed to a session", nameof(command)),
    };

    private async Task EndNotCurrentAsync()
    {
        var view = await _grain.GetViewAsync();
        if (view.State == WorkerState.Revoked)
        {
            End(StatusCode.PermissionDenied, $"the pool revoked worker {_worker.ToLowerHex()}");
        }
        else
        {
            End(StatusCode.Aborted, $"this session is no longer the worker's current one (worker is {view.State}); reconnect to resume");
        }
    }

    private int FreeSlots()
    {
        if (_draining)
        {
            return 0;
        }

        lock (_running)
        {
            return Math.Max(0, Math.Min(_credit, _slots - _running.Count));
        }
    }

    private bool Release(Hash32 taskId)
    {
        lock (_running)
        {
            if (!_running.Remove(taskId))
            {
                return false;
            }

            _credit++;
            return true;
        }
    }

    /// <summary>Only heartbeats count as life, as they do for the worker grain, so session and grain agree on who is silent.</summary>
    private void Touch() => Interlocked.Exchange(ref _lastHeartbeatTicks, _time.GetUtcNow().UtcTicks);

    private void End(StatusCode code, string message) => _ended.TrySetResult(new RpcException(new Status(code, message)));

    private async Task SendAsync(Proto.ServerMessage message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _output.WriteAsync(message, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends from outside the session's loops (a grain signal); a stream that just closed drops it.</summary>
    private async Task PostAsync(Proto.ServerMessage message)
    {
        try
        {
            await SendAsync(message, CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException or RpcException)
        {
            LogPostDropped(_logger, _worker, message.BodyCase.ToString(), ex.Message);
        }
    }

    private async Task<Proto.WorkerMessage> ReadFirstAsync(CancellationToken cancellationToken, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ChallengeTimeout);
        try
        {
            if (!await _input.MoveNext(timeout.Token))
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, $"the stream ended before the worker's {what}"));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"no {what} within {_options.ChallengeTimeout.TotalSeconds:0.#} s"));
        }

        return _input.Current;
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // the session is ending; its status was decided by whatever ended first
        }
    }

    private static RpcException Translate(Exception ex) => ex switch
    {
        RpcException rpc => rpc,
        OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "the session was cancelled")),
        _ => new RpcException(new Status(StatusCode.Unavailable, $"the cluster could not serve this session ({ex.GetType().Name}: {ex.Message}); reconnect to resume")),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} says hello ({Agent})")]
    private static partial void LogHello(ILogger logger, Address worker, string agent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} session {Session} opened, {Resumed} replicates resumed")]
    private static partial void LogSessionOpened(ILogger logger, Address worker, string session, int resumed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} session {Session} closed")]
    private static partial void LogSessionClosed(ILogger logger, Address worker, string session);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker}: {Message} not sent, the stream closed ({Reason})")]
    private static partial void LogPostDropped(ILogger logger, Address worker, string message, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} session could not detach: {Reason}")]
    private static partial void LogDetachFailed(ILogger logger, Address worker, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} task {Task} at {Percent} %")]
    private static partial void LogProgress(ILogger logger, Address worker, Hash32 task, uint percent);
}
