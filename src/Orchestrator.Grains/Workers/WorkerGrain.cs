using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Scheduling;
using Orchestrator.Domain.Tasks;
using Orchestrator.Grains.Bus;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;
using Orleans.Runtime;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// One worker: its session, capabilities, score and held replicates; the only grain its heartbeats
/// touch. It pulls work for its worker from the dispatch partitions of the classes it can serve, and
/// declares the worker lost when heartbeats stop (a grain timer while active; a reminder wakes it
/// after a silo loss). New holdings are written through (once per batch); their later phases are
/// written behind, since the task grains hold the truth.
/// </summary>
public sealed partial class WorkerGrain(
    [PersistentState("worker", StorageNames.Default)] IPersistentState<WorkerGrainState> state,
    OrchestratorClock clock,
    OutboxPublisher outbox,
    DispatchRouter router,
    IOptions<SchedulingOptions> options,
    IEvidenceVerifier verifier,
    ILogger<WorkerGrain> logger) : Grain, IWorkerGrain, IRemindable
{
    private const string LivenessReminder = "worker-liveness";
    private readonly List<WorkerCommand> _pending = [];
    private DateTimeOffset _lastHeartbeat;
    private long _nextSweepTicks;
    private int _emptySweeps;
    private bool _dirty;
    private IGrainTimer? _livenessTimer;
    private IGrainTimer? _flushTimer;
    private PoolPolicy _policy = PoolPolicy.Default;
    private IWorkerSessionObserver? _observer;

    private Address Worker => field == default ? field = Address.Parse(this.GetPrimaryKeyString()) : field;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Heartbeats are not persisted (they would cost a write each); a reactivated grain grants one
        // more timeout before it declares the worker lost.
        _lastHeartbeat = clock.UtcNow;
        await outbox.PublishAsync(state.State.Outbox, this);
        if (state.State.State is WorkerState.Active or WorkerState.Draining)
        {
            _policy = await GrainFactory.Pool().GetPolicyAsync();
            StartLivenessTimer();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // At shutdown the storage may already be gone; written-behind state is derived and reconciled.
        if (_dirty && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            try
            {
                await state.WriteOrResetAsync(this, cancellationToken);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Written-behind state is derived (the task grains hold the truth); losing this flush
                // while the silo stops is recovered by reconciliation.
                LogFlushFailed(logger, ex.Message);
            }
        }
    }

    public async Task<WorkerRegistration> RegisterAsync(WorkerHello hello)
    {
        if (hello.Worker != Worker)
        {
            return new WorkerRegistration(RegistrationOutcome.NotAuthorized, $"hello for {hello.Worker} sent to worker {Worker}", [], 0);
        }

        var pool = GrainFactory.Pool();
        if (!await pool.IsAuthorizedAsync(Worker))
        {
            return new WorkerRegistration(RegistrationOutcome.NotAuthorized, $"worker {Worker} is not authorized by this pool", [], 0);
        }

        _policy = await pool.GetPolicyAsync();
        var errors = hello.Capabilities.ToDomain().Validate().ToList();
        if (!_policy.AcceptedTeeKinds.Contains(hello.Capabilities.Tee))
        {
            errors.Add($"the pool does not accept {hello.Capabilities.Tee} workers");
        }

        if (hello.SimulatedTee && !_policy.AllowSimulatedTee)
        {
            errors.Add("the pool does not allow simulated TEE");
        }

        if (errors.Count > 0)
        {
            return new WorkerRegistration(RegistrationOutcome.InvalidCapabilities, string.Join("; ", errors), [], state.State.Score);
        }

        // Evidence is verified here, before the session exists: a TEE session starts attested or not at all.
        WorkerAttestation? attestation = null;
        if (hello.Capabilities.Tee != TeeKind.None || hello.Evidence is not null)
        {
            (attestation, var refusal) = await AttestAsync(hello.Evidence, hello.Capabilities.Tee);
            if (refusal is not null)
            {
                LogAttestationRefused(logger, Worker, refusal);
                return new WorkerRegistration(RegistrationOutcome.AttestationFailed, refusal, [], state.State.Score);
            }
        }

        var s = state.State;
        s.State = WorkerState.Active;
        s.Capabilities = hello.Capabilities;
        s.SessionId = hello.SessionId;
        s.SimulatedTee = hello.SimulatedTee || attestation?.Simulated == true;
        s.Attestation = attestation;
        s.LastSeen = clock.UtcNow;
        _lastHeartbeat = clock.UtcNow;
        _pending.Clear();
        Signal(WorkerSignal.SessionEnded); // the previous session's stream, if any, is replaced
        _observer = null;
        await state.WriteOrResetAsync(this);
        _dirty = false;
        await pool.WorkerSeenAsync(Worker); // every time: the pool writes its listing behind, and a lost sighting comes back here

        await this.RegisterOrUpdateReminder(LivenessReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        StartLivenessTimer();
        var running = s.Held.Values.Where(h => h.Phase == HeldPhase.Running).Select(h => new AssignCommand(h.Assignment, null)).ToList();
        await RequeueOwedRevealsAsync();
        return new WorkerRegistration(RegistrationOutcome.Accepted, string.Empty, running, s.Score);
    }

    public async Task<ReattestResult> ReattestAsync(string sessionId, WorkerEvidence evidence)
    {
        if (!IsCurrentSession(sessionId))
        {
            return new ReattestResult(false, $"session '{sessionId}' is not the current session of worker {Worker}", state.State.Attestation);
        }

        var (attestation, refusal) = await AttestAsync(evidence, state.State.Capabilities!.Tee);
        if (refusal is not null)
        {
            // The old verdict stays and ages out; a failed re-attestation never extends it.
            LogAttestationRefused(logger, Worker, refusal);
            return new ReattestResult(false, refusal, state.State.Attestation);
        }

        state.State.Attestation = attestation;
        await state.WriteOrResetAsync(this);
        _dirty = false;
        return new ReattestResult(true, string.Empty, attestation);
    }

    public Task<WorkerAttestation?> GetAttestationAsync() => Task.FromResult(state.State.Attestation);

    public Task<EnclaveSessionView> GetEnclaveSessionAsync(Hash32 taskId)
    {
        var s = state.State;
        var held = s.Held.TryGetValue(taskId, out var h) && h.Phase == HeldPhase.Running ? h.Assignment : null;
        var active = s.State is WorkerState.Active or WorkerState.Draining;
        return Task.FromResult(new EnclaveSessionView(active, active ? s.SessionId : string.Empty, s.Attestation, held, _policy.AllowSimulatedTee));
    }

    public Task<bool> HeartbeatAsync(string sessionId)
    {
        if (!IsCurrentSession(sessionId))
        {
            return Task.FromResult(false);
        }

        _lastHeartbeat = clock.UtcNow;
        return Task.FromResult(true);
    }

    public Task<bool> AttachAsync(string sessionId, IWorkerSessionObserver observer)
    {
        if (!IsCurrentSession(sessionId))
        {
            return Task.FromResult(false);
        }

        _lastHeartbeat = clock.UtcNow;
        _observer = observer;
        return Task.FromResult(true);
    }

    public Task DetachAsync(string sessionId)
    {
        if (sessionId == state.State.SessionId)
        {
            _observer = null;
        }

        return Task.CompletedTask;
    }

    public async Task<WorkerPoll> PollAsync(string sessionId, int freeSlots)
    {
        if (!IsCurrentSession(sessionId))
        {
            return new WorkerPoll([], false);
        }

        _lastHeartbeat = clock.UtcNow;
        var commands = new List<WorkerCommand>(_pending);
        _pending.Clear();
        var s = state.State;
        var room = Math.Min(freeSlots, _policy.MaxReplicatesPerWorker - s.Held.Values.Count(h => h.Phase == HeldPhase.Running));
        if (s.State == WorkerState.Active && room > 0 && Environment.TickCount64 >= _nextSweepTicks)
        {
            var assigned = await TakeWorkAsync(room);
            commands.AddRange(assigned);
            // An idle worker looks at the partitions less and less often (up to 16 intervals): a
            // thousand idle workers sweeping every shard at full rate cost more than the work itself.
            _emptySweeps = assigned.Count == 0 ? Math.Min(_emptySweeps + 1, 5) : 0;
            if (_emptySweeps > 0)
            {
                _nextSweepTicks = Environment.TickCount64 + ((long)options.Value.IdleSweepInterval.TotalMilliseconds << (_emptySweeps - 1));
            }
        }

        return new WorkerPoll(commands, true);
    }

    public async Task<TaskCallResult> ContributeAsync(Hash32 taskId, Hash32 resultHash, Hash32 resultSeal, byte[] workerSignature)
    {
        var result = await GrainFactory.Task(taskId).ContributeAsync(Worker, state.State.Score, resultHash, resultSeal, workerSignature);
        if (result.Accepted && state.State.Held.TryGetValue(taskId, out var held))
        {
            held.Phase = HeldPhase.Contributed;
            state.State.Contributions++;
            MarkDirty();
        }

        return result;
    }

    public async Task<TaskCallResult> ContributeAndFinalizeAsync(Hash32 taskId, Hash32 resultDigest, byte[] enclaveSignature)
    {
        var result = await GrainFactory.Task(taskId).ContributeAndFinalizeAsync(Worker, state.State.Score, resultDigest, enclaveSignature);
        if (result.Accepted && state.State.Held.Remove(taskId))
        {
            state.State.Contributions++;
            state.State.Wins++;
            MarkDirty();
        }

        return result;
    }

    public async Task<TaskCallResult> RevealAsync(Hash32 taskId, Hash32 resultDigest)
    {
        var result = await GrainFactory.Task(taskId).RevealAsync(Worker, resultDigest);
        if (result.Accepted && state.State.Held.TryGetValue(taskId, out var held))
        {
            held.Phase = HeldPhase.Revealed;
            MarkDirty();
        }

        return result;
    }

    public async Task<TaskCallResult> GiveBackAsync(Hash32 taskId)
    {
        var result = await GrainFactory.Task(taskId).ReleaseAsync(Worker, ReplicateStatus.Abandoned);
        if (result.Accepted && state.State.Held.TryGetValue(taskId, out var held) && held.Phase == HeldPhase.Running)
        {
            state.State.Held.Remove(taskId);
            MarkDirty();
        }

        return result;
    }

    public Task RevealRequestedAsync(Hash32 taskId, DateTimeOffset revealDeadline)
    {
        _pending.Add(new RevealCommand(taskId, revealDeadline));
        Signal(WorkerSignal.CommandsReady);
        return Task.CompletedTask;
    }

    public async Task ConfirmHoldingAsync(Hash32 taskId)
    {
        var active = state.State.State is WorkerState.Active or WorkerState.Draining;
        if (active && state.State.Held.ContainsKey(taskId))
        {
            return;
        }

        var reason = active ? ReplicateStatus.Abandoned : ReplicateStatus.WorkerLost;
        await GrainFactory.Task(taskId).ReleaseAsync(Worker, reason);
    }

    public async Task OutcomeAsync(WorkerOutcome outcome)
    {
        var s = state.State;
        if (!s.Held.Remove(outcome.TaskId))
        {
            return; // already applied (or never held here): outcomes are idempotent per task
        }

        if (outcome.Reason != "won")
        {
            _pending.Add(new CancelCommand(outcome.TaskId, outcome.Reason));
            Signal(WorkerSignal.CommandsReady);
        }

        // A lost vote (a score is given: the worker was judged) counts even when the score cannot drop
        // (⌊2/3·0⌋ = 0), so operators see every loss; a failed task judges nobody (no score).
        if (outcome.Won) s.Wins++;
        else if (outcome.ScoreAfter is not null) s.Losses++;
        if (outcome.ScoreAfter is { } score && score != s.Score)
        {
            s.Score = score;
            await state.WriteOrResetAsync(this); // score changes are written through
            _dirty = false;
            return;
        }

        MarkDirty();
    }

    public async Task DrainAsync()
    {
        if (state.State.State == WorkerState.Active)
        {
            state.State.State = WorkerState.Draining;
            await state.WriteOrResetAsync(this);
            _dirty = false;
            Signal(WorkerSignal.Draining);
        }
    }

    public async Task RevokeAsync()
    {
        await ReleaseRunningAsync(ReplicateStatus.Abandoned);
        state.State.State = WorkerState.Revoked;
        state.State.SessionId = string.Empty;
        await state.WriteOrResetAsync(this);
        _dirty = false;
        Signal(WorkerSignal.Revoked);
        _observer = null;
    }

    public async Task<bool> CheckLivenessAsync()
    {
        var s = state.State;
        if (s.State is not (WorkerState.Active or WorkerState.Draining))
        {
            return false;
        }

        var now = clock.UtcNow;
        if (now - _lastHeartbeat < options.Value.HeartbeatTimeout)
        {
            return false;
        }

        var released = await ReleaseRunningAsync(ReplicateStatus.WorkerLost);
        s.State = WorkerState.Lost;
        s.SessionId = string.Empty;
        s.LostCount++;
        s.Outbox.Add(new WorkerLostV1($"worker-lost:{Worker}:{s.LostCount}", now, Worker, released));
        await state.WriteOrResetAsync(this);
        _dirty = false;
        await outbox.PublishAsync(s.Outbox, this);
        GrainTelemetry.WorkersLost.Add(1);
        LogWorkerLost(logger, Worker, released);
        _livenessTimer?.Dispose();
        _livenessTimer = null;
        Signal(WorkerSignal.SessionEnded);
        _observer = null;
        return true;
    }

    public Task<WorkerView> GetViewAsync()
    {
        var s = state.State;
        return Task.FromResult(new WorkerView(Worker, s.State, s.Score, s.Capabilities, s.Held.Keys.ToList(),
            s.State is WorkerState.Active or WorkerState.Draining ? _lastHeartbeat : s.LastSeen, s.Contributions, s.Wins, s.Losses));
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.State is WorkerState.Active or WorkerState.Draining)
        {
            await CheckLivenessAsync();
            return;
        }

        var reminder = await this.GetReminder(LivenessReminder);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>A resumed session owes the reveals its contributed winners are waiting for; ask their tasks.</summary>
    private async Task RequeueOwedRevealsAsync()
    {
        var contributed = state.State.Held.Where(h => h.Value.Phase == HeldPhase.Contributed).Select(h => h.Key).ToList();
        var views = await Task.WhenAll(contributed.Select(taskId => GrainFactory.Task(taskId).GetViewAsync()));
        foreach (var view in views)
        {
            var owed = view.Status == TaskStatus.Revealing && view.RevealDeadline is not null
                && view.Replicates.Any(r => r.Worker == Worker && r.Status == ReplicateStatus.Contributed && r.ResultHash == view.ConsensusHash);
            if (owed)
            {
                _pending.Add(new RevealCommand(view.TaskId, view.RevealDeadline!.Value));
            }
        }
    }

    private async Task<List<WorkerCommand>> TakeWorkAsync(int room)
    {
        var s = state.State;
        var capabilities = s.Capabilities!;
        var tickets = new List<TaskTicket>();
        var classes = SchedulingPolicy.DispatchClassesFor(capabilities.ToDomain());
        var home = router.HomeShard(Worker);
        foreach (var dispatchClass in classes)
        {
            for (var i = 0; i < router.Shards && tickets.Count < room; i++)
            {
                var partition = GrainFactory.Partition(dispatchClass, (home + i) % router.Shards);
                var taken = await partition.TakeAsync(new DispatchRequest(Worker, capabilities, room - tickets.Count, s.Attestation, _policy.AllowSimulatedTee));
                tickets.AddRange(taken); // a ticket for a task this worker holds is refused by the task, which re-queues it
            }
        }

        if (tickets.Count == 0)
        {
            return [];
        }

        var results = await Task.WhenAll(tickets.Select(t => GrainFactory.Task(t.TaskId).AssignAsync(t, Worker, s.Score)));
        var commands = new List<WorkerCommand>(results.Length);
        foreach (var result in results)
        {
            if (result.Assignment is not { } assignment)
            {
                continue;
            }

            // The enclave key of a TEE task is not handed out here: the enclave fetches it (with the task's
            // other secrets) from the secret service, which checks its attestation and this holding.
            s.Held[assignment.TaskId] = new HeldReplicate { Assignment = assignment, Phase = HeldPhase.Running };
            commands.Add(new AssignCommand(assignment, null));
        }

        if (commands.Count > 0)
        {
            // Written through, once per batch: what a worker was handed must survive a silo loss, so a
            // resumed session gets it back and a lost worker's replicates can be released.
            await state.WriteOrResetAsync(this);
            _dirty = false;
        }

        return commands;
    }

    /// <summary>
    /// Verifies evidence now and judges it: the verifier (DCAP with collateral, or simulated), the
    /// binding of the session key and the server's challenge, the declared TEE kind, the pool's
    /// simulation rule, and no reuse of the challenge the previous verdict answered.
    /// </summary>
    private async Task<(WorkerAttestation? Attestation, string? Refusal)> AttestAsync(WorkerEvidence? evidence, TeeKind declared)
    {
        if (evidence is null || evidence.Format == EvidenceFormat.Unspecified)
        {
            return (null, $"a {declared} worker must present attestation evidence (a DCAP quote binding its session key and the server's challenge)");
        }

        if (declared == TeeKind.None)
        {
            return (null, "a worker without a TEE cannot present attestation evidence; declare its TEE kind");
        }

        if (evidence.Format == EvidenceFormat.Simulated && !_policy.AllowSimulatedTee)
        {
            return (null, "the evidence is simulated and the pool does not allow simulated TEE");
        }

        var now = clock.UtcNow;
        var result = await verifier.VerifyAsync(evidence.Quote, now);
        var attestation = AttestationMapping.Assess(evidence, result, declared, now);
        if (!attestation.Verified)
        {
            return (attestation, attestation.Failure);
        }

        if (attestation.ChallengeHash == state.State.Attestation?.ChallengeHash)
        {
            return (attestation, "the evidence answers a challenge already used: every session and re-attestation needs a fresh server challenge");
        }

        return (attestation, null);
    }

    private async Task<int> ReleaseRunningAsync(ReplicateStatus reason)
    {
        var running = state.State.Held.Where(h => h.Value.Phase == HeldPhase.Running).Select(h => h.Key).ToList();
        await Task.WhenAll(running.Select(taskId => GrainFactory.Task(taskId).ReleaseAsync(Worker, reason)));
        foreach (var taskId in running)
        {
            state.State.Held.Remove(taskId);
        }

        return running.Count;
    }

    private bool IsCurrentSession(string sessionId)
        => state.State.State is WorkerState.Active or WorkerState.Draining && sessionId == state.State.SessionId;

    /// <summary>Tells the session holding the stream (one-way; a signal lost is covered by its slow poll).</summary>
    private void Signal(WorkerSignal signal)
    {
        if (_observer is { } observer)
        {
            observer.SignalAsync(signal).Ignore();
        }
    }

    private void StartLivenessTimer()
    {
        var period = options.Value.HeartbeatTimeout / 3;
        _livenessTimer ??= this.RegisterGrainTimer(async _ => await CheckLivenessAsync(),
            new GrainTimerCreationOptions { DueTime = period, Period = period, Interleave = false });
    }

    private void MarkDirty()
    {
        _dirty = true;
        _flushTimer ??= this.RegisterGrainTimer(async _ =>
        {
            if (_dirty)
            {
                _dirty = false;
                state.State.LastSeen = _lastHeartbeat;
                await state.WriteOrResetAsync(this);
            }
        }, new GrainTimerCreationOptions { DueTime = options.Value.WriteBehindInterval, Period = options.Value.WriteBehindInterval, Interleave = false });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} lost; {Released} replicates released")]
    private static partial void LogWorkerLost(ILogger logger, Address worker, int released);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} attestation refused: {Reason}")]
    private static partial void LogAttestationRefused(ILogger logger, Address worker, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Write-behind flush at deactivation failed: {Reason}")]
    private static partial void LogFlushFailed(ILogger logger, string reason);
}
