using System.Collections.Concurrent;
using System.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Telemetry;
using Orchestrator.Worker.Configuration;
using Orchestrator.Simulation;
using Orchestrator.Worker.Enclave;

namespace Orchestrator.Worker.Session;

/// <summary>Exit codes of the agent.</summary>
public static class WorkerExitCodes
{
    /// <summary>Stopped (SIGTERM / Ctrl-C) after draining.</summary>
    public const int Drained = 0;

    /// <summary>An unexpected failure.</summary>
    public const int Crashed = 1;

    /// <summary>The configuration is invalid (messages name the keys).</summary>
    public const int BadConfiguration = 2;

    /// <summary>The server refused this worker (not authorized, revoked, bad proof, capabilities outside policy, replaced).</summary>
    public const int Refused = 3;

    /// <summary>The trusted runner could not start (its quote interface is missing: not a TDX guest, not inside Gramine), so no session could attest.</summary>
    public const int NoEnclave = 4;
}

/// <summary>
/// The agent: keeps one session open (reconnecting with backoff and jitter), runs assignments
/// concurrently up to its slots, heartbeats, and on stop drains — takes nothing new, lets running
/// replicates finish within the grace period, gives back the rest — then exits 0.
/// </summary>
public sealed class WorkerAgent
{
    private static readonly string AgentVersion = "orchestrator-worker/" +
        (typeof(WorkerAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev");

    private readonly WorkerOptions _options;
    private readonly WorkerIdentity _identity;
    private readonly WorkerSession.WorkerSessionClient _client;
    private readonly ReplicatePipeline _pipeline;
    private readonly SimulatedEnclave? _enclave;
    private readonly EnclaveRunnerHost? _runner;
    private readonly TaskJournal _journal;
    private readonly SessionGate _sessions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _backoff;
    private readonly ConcurrentDictionary<Hash32, Running> _replicates = new();
    private readonly ConcurrentDictionary<Task, byte> _reveals = new();
    private readonly CancellationTokenSource _hardStop = new();
    private volatile bool _draining;
    private volatile bool _welcomed;
    private volatile LiveSession? _live;
    private readonly Hosting.ServerCertificateObserver _serverCertificate;

    internal WorkerAgent(
        WorkerOptions options, WorkerIdentity identity, WorkerSession.WorkerSessionClient client, ReplicatePipeline pipeline,
        SimulatedEnclave? enclave, TaskJournal journal, SessionGate sessions, TimeProvider time, ILogger logger,
        Hosting.ServerCertificateObserver? serverCertificate = null, EnclaveRunnerHost? runner = null)
    {
        _runner = runner;
        _serverCertificate = serverCertificate ?? new Hosting.ServerCertificateObserver();
        _options = options;
        _identity = identity;
        _client = client;
        _pipeline = pipeline;
        _enclave = enclave;
        _journal = journal;
        _sessions = sessions;
        _time = time;
        _logger = logger;
        _backoff = new ReconnectBackoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay);
    }

    /// <summary>Replicates held now (running, or waiting for their contribution's answer).</summary>
    public int Held => _replicates.Count;

    /// <summary>Runs until <paramref name="stop"/> (then drains) or until the server refuses the worker; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        using var sessionStop = new CancellationTokenSource();
        var sessions = SessionLoopAsync(sessionStop.Token);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (stop.Register(() => stopped.TrySetResult()))
        {
            await Task.WhenAny(sessions, stopped.Task).ConfigureAwait(false);
        }

        if (sessions.IsCompleted)
        {
            await _hardStop.CancelAsync().ConfigureAwait(false);
            return await sessions.ConfigureAwait(false);
        }

        await DrainAsync().ConfigureAwait(false);
        await sessionStop.CancelAsync().ConfigureAwait(false);
        try
        {
            await sessions.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the loop was stopped
        }

        return WorkerExitCodes.Drained;
    }

    private async Task DrainAsync()
    {
        _draining = true;
        WorkerLog.Draining(_logger, $"stop requested; finishing {_replicates.Count} running replicates within {_options.DrainGracePeriod}");
        SendHeartbeat();
        var running = _replicates.Values.ToList();
        var work = Task.WhenAll(running.Select(r => r.Work).Concat(_reveals.Keys));
        await Task.WhenAny(work, Task.Delay(_options.DrainGracePeriod, _time)).ConfigureAwait(false);
        var late = _replicates.Values.ToList();
        foreach (var replicate in late)
        {
            replicate.GiveBackOnCancel = true;
            await replicate.Cancel.CancelAsync().ConfigureAwait(false);
        }

        // Each cancelled replicate gives itself back; bounded, so a server gone for good does not hold the exit.
        await Task.WhenAny(Task.WhenAll(late.Select(r => r.Work)), Task.Delay(TimeSpan.FromSeconds(10), _time)).ConfigureAwait(false);
        WorkerLog.Drained(_logger, running.Count - late.Count, late.Count);
    }

    private async Task<int> SessionLoopAsync(CancellationToken cancellationToken)
    {
        var unauthenticated = 0;
        while (true)
        {
            string reason;
            _welcomed = false;
            try
            {
                await RunSessionAsync(cancellationToken).ConfigureAwait(false);
                reason = "the server closed the session";
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                return WorkerExitCodes.Drained; // we stopped the session ourselves
            }
            catch (RpcException ex) when (IsRefusal(ex) || (ex.StatusCode == StatusCode.Unauthenticated && ++unauthenticated >= 3))
            {
                WorkerLog.Refused(_logger, ex.StatusCode.ToString(), ex.Status.Detail);
                await Console.Error.WriteLineAsync($"orchestrator-worker: the server refused worker {_identity.Address}: {ex.StatusCode}: {ex.Status.Detail}").ConfigureAwait(false);
                return WorkerExitCodes.Refused;
            }
            catch (RpcException ex)
            {
                reason = $"{ex.StatusCode}: {ex.Status.Detail}";
            }
            catch (Exception ex) when (ex is SessionLostException or IOException or HttpRequestException or InvalidOperationException or EnclaveRunnerException)
            {
                reason = ex.Message;
            }
            finally
            {
                if (_welcomed) unauthenticated = 0; // only consecutive failed proofs are fatal
            }

            var delay = _backoff.Next();
            WorkerLog.SessionLost(_logger, reason, delay);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Statuses that fail again until the worker or the pool owner changes something (worker.proto):
    /// not authorized or revoked, a malformed message, capabilities outside the policy, a message over
    /// the limit. DEADLINE_EXCEEDED, ABORTED (replaced, or declared lost) and UNAVAILABLE are resumed by
    /// reconnecting; UNAUTHENTICATED becomes fatal after three in a row (an expired challenge is transient).
    /// </summary>
    private static bool IsRefusal(RpcException ex) =>
        ex.StatusCode is StatusCode.PermissionDenied or StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.ResourceExhausted;

    private async Task RunSessionAsync(CancellationToken cancellationToken)
    {
        WorkerLog.Connecting(_logger, _options.ServerUrl, _identity.Address.ToString());
        // One span per session, its own trace: each replicate's spans live in their task's trace and link back here.
        using var sessionSpan = WorkerAgentTelemetry.Source.StartActivity("worker.session", System.Diagnostics.ActivityKind.Client);
        sessionSpan?.SetTag(TelemetryTags.Worker, _identity.Address.ToString());
        using var call = _client.Connect(cancellationToken: cancellationToken);
        var hello = new Hello { WorkerAddress = _identity.Address.ToString(), Capabilities = ProtoConvert.ToProto(_options.Capabilities), AgentVersion = AgentVersion };
        hello.RunningTaskIds.AddRange(_replicates.Keys.Take(1024).Select(k => k.ToString())); // the protocol's cap
        await call.RequestStream.WriteAsync(new WorkerMessage { Hello = hello }, cancellationToken).ConfigureAwait(false);

        var challenge = await NextAsync(call.ResponseStream, ServerMessage.BodyOneofCase.Challenge, cancellationToken).ConfigureAwait(false);
        var tee = _options.Capabilities.Tee != Domain.Deals.TeeKind.None;
        using var enclaveSession = tee ? _enclave?.OpenSession() : null;
        await using var runnerSession = tee && _runner is not null
            ? await RunnerSession.OpenAsync(await _runner.CurrentAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false)
            : null;
        var nonce = challenge.Challenge.Nonce.Memory;
        var tls = _options.ServerUrl.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
        var (signed, mismatch) = SessionProofMessage.For(_options, challenge.Challenge, _serverCertificate.Sha256, tls);
        if (mismatch is not null) WorkerLog.PoolMismatch(_logger, mismatch);
        var proof = new Proof
        {
            Signature = ProtoConvert.Bytes(_identity.SignPersonal(signed)),
            Evidence = await EvidenceAsync(enclaveSession, runnerSession, nonce, cancellationToken).ConfigureAwait(false),
        };

        await call.RequestStream.WriteAsync(new WorkerMessage { Proof = proof }, cancellationToken).ConfigureAwait(false);
        var welcome = (await NextAsync(call.ResponseStream, ServerMessage.BodyOneofCase.Welcome, cancellationToken).ConfigureAwait(false)).Welcome;
        _backoff.Reset();
        _welcomed = true;
        WorkerAgentTelemetry.Sessions.Add(1);
        sessionSpan?.SetTag("orchestrator.session.id", welcome.SessionId);
        var interval = welcome.HeartbeatInterval?.ToTimeSpan() is { } i && i > TimeSpan.Zero ? i : _options.HeartbeatInterval;
        WorkerLog.Welcomed(_logger, welcome.SessionId, welcome.Score, welcome.Resumed.Count, interval);
        _journal.Prune(_time.GetUtcNow());

        using var sessionEnd = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var live = new LiveSession(call.RequestStream, welcome, sessionEnd.Token, enclaveSession, runnerSession);
        _live = live;
        _sessions.Open(live);
        var heartbeats = HeartbeatLoopAsync(interval, sessionEnd.Token);
        try
        {
            if (welcome.Draining) _draining = true;
            SendHeartbeat();
            foreach (var resumed in welcome.Resumed)
            {
                OnAssignment(resumed);
            }

            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Dispatch(message, live);
            }
        }
        finally
        {
            live.Close("the session ended");
            _sessions.Lost(live);
            _live = null;
            await sessionEnd.CancelAsync().ConfigureAwait(false);
            await heartbeats.ConfigureAwait(false);
        }
    }

    /// <summary>Evidence over <paramref name="nonce"/> from the session's enclave (simulated) or trusted runner (hardware); null without TEE.</summary>
    private async Task<Evidence?> EvidenceAsync(EnclaveSession? enclaveSession, RunnerSession? runnerSession, ReadOnlyMemory<byte> nonce, CancellationToken cancellationToken)
    {
        if (enclaveSession is not null)
        {
            return new Evidence
            {
                Format = EvidenceFormat.Simulated,
                Quote = ProtoConvert.Bytes(enclaveSession.Attest(nonce.Span, _time.GetUtcNow())),
                EnclavePublicKey = ProtoConvert.Bytes(enclaveSession.PublicKey),
            };
        }

        if (runnerSession is not null)
        {
            // A hardware quote from inside the TEE over SHA-256(session key ‖ nonce): the runner's key, never the agent's.
            return new Evidence
            {
                Format = EvidenceFormat.DcapQuote,
                Quote = ProtoConvert.Bytes(await runnerSession.AttestAsync(nonce, cancellationToken).ConfigureAwait(false)),
                EnclavePublicKey = ProtoConvert.Bytes(runnerSession.PublicKey),
            };
        }

        return null;
    }

    /// <summary>Answers a re-attestation with a new quote over its nonce, from the session's own enclave key; a failure is logged (the server then ends the TEE eligibility).</summary>
    private async Task ReattestAsync(ReattestRequest request, LiveSession live)
    {
        try
        {
            if (await EvidenceAsync(live.Enclave, live.Runner, request.Nonce.Memory, _hardStop.Token).ConfigureAwait(false) is { } evidence)
            {
                live.Send(new WorkerMessage { Reattestation = new Reattestation { Nonce = request.Nonce, Evidence = evidence } });
                WorkerLog.Reattested(_logger, request.ExpiresAt?.ToDateTimeOffset() ?? default);
            }
        }
        catch (Exception ex) when (ex is EnclaveRunnerException or SessionLostException or IOException or InvalidOperationException)
        {
            WorkerLog.Ignored(_logger, "a re-attestation request: " + ex.Message);
        }
    }

    private static async Task<ServerMessage> NextAsync(IAsyncStreamReader<ServerMessage> responses, ServerMessage.BodyOneofCase expected, CancellationToken cancellationToken)
    {
        if (!await responses.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new SessionLostException($"the server closed the session before its {expected}");
        }

        var message = responses.Current;
        return message.BodyCase == expected
            ? message
            : throw new SessionLostException($"the server sent {message.BodyCase} where {expected} was expected");
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                SendHeartbeat();
            }
        }
        catch (OperationCanceledException)
        {
            // the session ended
        }
    }

    private void SendHeartbeat()
    {
        var free = _draining ? 0 : Math.Max(0, _options.Capabilities.Slots - _replicates.Count);
        try
        {
            _live?.Send(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = free } });
        }
        catch (SessionLostException)
        {
            // reconnecting; the next session heartbeats at once
        }
    }

    private void Dispatch(ServerMessage message, LiveSession live)
    {
        switch (message.BodyCase)
        {
            case ServerMessage.BodyOneofCase.Assignment:
                OnAssignment(message.Assignment);
                break;
            case ServerMessage.BodyOneofCase.CallResult:
                live.Answer(message.CallResult);
                break;
            case ServerMessage.BodyOneofCase.RevealRequest when ProtoConvert.TryHash(message.RevealRequest.TaskId, out var reveal):
                Track(Task.Run(() => GuardedAsync(reveal, () => _pipeline.RevealAsync(reveal, _hardStop.Token))));
                break;
            case ServerMessage.BodyOneofCase.Cancel when ProtoConvert.TryHash(message.Cancel.TaskId, out var cancel):
                WorkerLog.Cancelled(_logger, cancel.ToString(), message.Cancel.Reason);
                if (_replicates.TryGetValue(cancel, out var running))
                {
                    running.Cancel.Cancel();
                }
                else
                {
                    _pipeline.Forget(cancel);
                }

                break;
            case ServerMessage.BodyOneofCase.ReattestRequest:
                _ = Task.Run(() => ReattestAsync(message.ReattestRequest, live));
                break;
            case ServerMessage.BodyOneofCase.Drain:
                _draining = true;
                WorkerLog.Draining(_logger, "the pool owner drained this worker: " + message.Drain.Reason);
                break;
            default:
                WorkerLog.Ignored(_logger, $"unexpected {message.BodyCase}");
                break;
        }
    }

    private void OnAssignment(Assignment assignment)
    {
        if (!ProtoConvert.TryHash(assignment.TaskId, out var taskId))
        {
            WorkerLog.Ignored(_logger, $"an assignment with a malformed task id '{assignment.TaskId}'");
            return;
        }

        var replicate = new Running(CancellationTokenSource.CreateLinkedTokenSource(_hardStop.Token));
        if (!_replicates.TryAdd(taskId, replicate))
        {
            return; // already running it (a resumed session lists it again): never run twice
        }

        if (_draining)
        {
            replicate.Work = Task.Run(() => GuardedAsync(taskId, () => _pipeline.GiveBackAsync(taskId, "the worker is draining", _hardStop.Token)).ContinueWith(_ => Done(taskId, replicate), TaskScheduler.Default));
            return;
        }

        replicate.Work = Task.Run(async () =>
        {
            try
            {
                await _pipeline.RunAsync(assignment, replicate.Cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (replicate.Cancel.IsCancellationRequested)
            {
                if (replicate.GiveBackOnCancel)
                {
                    using var giveBack = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await GuardedAsync(taskId, () => _pipeline.GiveBackAsync(taskId, "the worker is shutting down (drain grace period over)", giveBack.Token)).ConfigureAwait(false);
                }
                else
                {
                    _pipeline.Forget(taskId);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                WorkerLog.ReplicateFailed(_logger, taskId.ToString(), ex.Message);
                await GuardedAsync(taskId, () => _pipeline.GiveBackAsync(taskId, "the worker failed to run it: " + ex.Message, _hardStop.Token)).ConfigureAwait(false);
            }
            finally
            {
                Done(taskId, replicate);
            }
        });
    }

    /// <summary>Keeps a reveal in view until it ends, so a drain waits for it.</summary>
    private void Track(Task reveal)
    {
        _reveals.TryAdd(reveal, 0);
        _ = reveal.ContinueWith(t => _reveals.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Done(Hash32 taskId, Running replicate)
    {
        _replicates.TryRemove(new KeyValuePair<Hash32, Running>(taskId, replicate));
        SendHeartbeat(); // a slot is free: ask for more at once
    }

    private async Task GuardedAsync(Hash32 taskId, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or RpcException)
        {
            WorkerLog.ReplicateFailed(_logger, taskId.ToString(), ex.Message);
        }
    }

    private sealed class Running(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public Task Work { get; set; } = Task.CompletedTask;

        private volatile bool _giveBackOnCancel;

        /// <summary>Set by the drain: a cancelled run gives its replicate back instead of just stopping.</summary>
        public bool GiveBackOnCancel { get => _giveBackOnCancel; set => _giveBackOnCancel = value; }
    }
}
