using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Bus;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Telemetry;
using Orleans.Runtime;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// One worker, driven through the pure <see cref="WorkerRun"/>: load, call the core, persist what it
/// says (through or behind), send what it says. The only grain its heartbeats touch, and the only
/// judge of its liveness (the silo's <see cref="LivenessSweep"/> asks while active; the pool's liveness roster wakes it after a silo loss). It
/// pulls work from the dispatch partitions of the classes its worker can serve (<see cref="WorkTaker"/>)
/// and pushes commands to the session's observer, keeping them for the next poll only when no push is possible.
/// </summary>
public sealed partial class WorkerGrain(
    [PersistentState("worker", StorageNames.Default)] IPersistentState<WorkerGrainState> state,
    OrchestratorClock clock,
    OutboxPublisher outbox,
    DispatchRouter router,
    WorkerAttestor attestor,
    AttestationKeeper keeper,
    LivenessSweep sweep,
    IOptions<SchedulingOptions> options,
    ILogger<WorkerGrain> logger) : Grain, IWorkerGrain, IRemindable
{
    /// <summary>The per-worker reminder of silos before the liveness roster; still handled (and removed) when one ticks.</summary>
    private const string LegacyLivenessReminder = "worker-liveness";
    private readonly SchedulingOptions _options = options.Value;
    private WorkerRun _run = null!;
    private LivenessDeadline? _deadline;
    private PoolPolicy _policy = PoolPolicy.Default;
    private ConnectionGauge? _connection;

    private CoalescedWrites<WorkerGrainState> Writes => field ??= new(state, this, _options.WriteBehindInterval, logger, () => state.State.CopyFrom(_run));

    private WorkTaker Taker => field ??= new(router, _options);

    private SessionLink Session => field ??= new(Worker, logger);

    private KeptEvidence Kept => field ??= new(ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(StorageNames.Default), GrainContext.GrainId);

    private Address Worker => field == default ? field = Address.Parse(this.GetPrimaryKeyString()) : field;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Heartbeats are not persisted (they would cost a write each): the core grants a live worker one
        // more timeout from now, and keeps a lost or revoked worker's last sighting as it was written.
        _run = state.State.ToDomain(Worker, clock.UtcNow);
        _connection = new ConnectionGauge();
        _connection.Sync(_run);
        await outbox.PublishAsync(state.State.Outbox, this);
        if (_run.IsLive)
        {
            _policy = await GrainFactory.Pool().GetPolicyAsync();
            SyncDeadline();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _connection?.Dispose();
        if (_deadline is { } deadline)
        {
            sweep.Untrack(deadline);
        }

        return Writes.FlushOnDeactivateAsync(cancellationToken);
    }

    public async Task<WorkerRegistration> RegisterAsync(WorkerHello hello)
    {
        var (policy, refusal) = await WorkerAdmissionCheck.AdmitAsync(GrainFactory, Worker, hello, _run.Score);
        if (refusal is not null)
        {
            return refusal;
        }

        _policy = policy!;

        // Evidence is verified here, before the session exists: a TEE session starts attested or not at all.
        WorkerAttestation? attestation = null;
        if (hello.Capabilities.Tee != TeeKind.None || hello.Evidence is not null)
        {
            (attestation, var attestationRefusal) = await attestor.JudgeAsync(Worker, hello.Evidence, hello.Capabilities.Tee, _policy.Admission, state.State.Attestation);
            if (attestationRefusal is not null)
            {
                return new WorkerRegistration(RegistrationOutcome.AttestationFailed, attestationRefusal, [], _run.Score);
            }
        }

        // Listed before the session is recorded, so a worker recorded live is always woken after a silo loss;
        // a failed enlistment fails the registration with nothing changed (the worker registers again).
        await GrainFactory.Roster(Worker, _options.RosterShards).EnlistAsync(Worker);
        var s = state.State;
        s.Capabilities = hello.Capabilities;
        s.SimulatedTee = hello.SimulatedTee || attestation?.Simulated == true;
        s.Attestation = attestation;
        _round = null;
        var running = _run.StartSession(hello.SessionId, clock.UtcNow);
        Session.Replace(); // the previous session's stream, if any, is replaced
        await Writes.WriteNowAsync();
        if (attestation is not null)
        {
            (await Kept.GetAsync()).Evidence = hello.Evidence; // judged again against new collateral while this session lasts
            await Kept.WriteAsync(this);
        }

        SyncDeadline();
        foreach (var reveal in await OwedReveals.FindAsync(GrainFactory, Worker, _run.HeldIn(HeldPhase.Contributed)))
        {
            Session.Queue(reveal);
        }

        _connection?.Sync(_run);
        GrainsTelemetry.WorkerRegistrations.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Result, "accepted"));
        return new WorkerRegistration(RegistrationOutcome.Accepted, string.Empty, running.Select(id => new AssignCommand(s.Held[id].Assignment, null)).ToList(), _run.Score);
    }

    public Task<WorkerAttestation?> GetAttestationAsync() => Task.FromResult(state.State.Attestation);

    public Task<EnclaveSessionView> GetEnclaveSessionAsync(Hash32 taskId)
    {
        var held = _run.Held.TryGetValue(taskId, out var phase) && phase == HeldPhase.Running ? state.State.Held[taskId].Assignment : null;
        var active = _run.IsLive;
        return Task.FromResult(new EnclaveSessionView(active, active ? _run.SessionId : string.Empty, state.State.Attestation, held, _policy.Admission.AdmitsSimulated));
    }

    public Task<bool> HeartbeatAsync(string sessionId)
    {
        var live = _run.Beat(sessionId, clock.UtcNow);
        if (live)
        {
            MoveDeadline();
            NoteAttestationDue();
        }

        return Task.FromResult(live);
    }

    public Task<bool> AttachAsync(string sessionId, IWorkerSessionObserver observer)
    {
        if (!_run.Beat(sessionId, clock.UtcNow))
        {
            return Task.FromResult(false);
        }

        Session.Attach(observer);
        MoveDeadline();
        NoteAttestationDue();
        return Task.FromResult(true);
    }

    public Task DetachAsync(string sessionId)
    {
        if (sessionId == _run.SessionId)
        {
            Session.Detach();
        }

        return Task.CompletedTask;
    }

    public async Task<WorkerPoll> PollAsync(string sessionId, int freeSlots)
    {
        if (!_run.Beat(sessionId, clock.UtcNow))
        {
            return new WorkerPoll([], false);
        }

        MoveDeadline();
        var commands = Session.TakePending();
        var room = _run.Room(freeSlots, _policy.MaxReplicatesPerWorker);
        if (room > 0 && Taker.MaySweep())
        {
            var assigned = await Taker.TakeAsync(GrainFactory, Worker, state.State.Capabilities!, state.State.Attestation, _policy, _run.Score, room);
            foreach (var assignment in assigned)
            {
                _run.Hold(assignment.TaskId);
                state.State.Held[assignment.TaskId] = new HeldReplicate { Assignment = assignment, Phase = HeldPhase.Running };
                commands.Add(new AssignCommand(assignment, null));
            }

            if (assigned.Count > 0)
            {
                // Written through, once per batch: what a worker was handed must survive a silo loss, so a
                // resumed session gets it back and a lost worker's replicates can be released.
                await Writes.WriteNowAsync();
            }
        }

        return new WorkerPoll(commands, true);
    }

    public async Task<TaskCallResult> ContributeAsync(Hash32 taskId, Hash32 resultHash, Hash32 resultSeal, byte[] workerSignature)
    {
        var result = await GrainFactory.Task(taskId).ContributeAsync(Worker, _run.Score, resultHash, resultSeal, workerSignature);
        await AfterContributionAsync(taskId, result, () => _run.Contributed(taskId));
        await ApplyOwnOutcomeAsync(result);
        return result;
    }

    public async Task<TaskCallResult> ContributeAndFinalizeAsync(Hash32 taskId, Hash32 resultDigest, byte[] enclaveSignature, byte[]? callbackData = null)
    {
        var result = await GrainFactory.Task(taskId).ContributeAndFinalizeAsync(Worker, _run.Score, resultDigest, enclaveSignature, callbackData);
        await AfterContributionAsync(taskId, result, () => _run.ContributedAndFinalized(taskId));
        await ApplyOwnOutcomeAsync(result);
        return result;
    }

    public async Task<TaskCallResult> RevealAsync(Hash32 taskId, Hash32 resultDigest, byte[]? callbackData = null)
    {
        var result = await GrainFactory.Task(taskId).RevealAsync(Worker, resultDigest, callbackData);
        if (result.Accepted)
        {
            await Writes.ApplyAsync(_run.Revealed(taskId)); // written behind: the outcome below, if any, writes both at once
        }

        await ApplyOwnOutcomeAsync(result);
        return result;
    }

    public Task<TaskCallResult> GiveBackAsync(Hash32 taskId) => GiveBackAsync(taskId, string.Empty);

    public async Task<TaskCallResult> GiveBackAsync(Hash32 taskId, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var result = await GrainFactory.Task(taskId).GiveBackAsync(Worker, reason);
        if (result.Accepted)
        {
            await Writes.ApplyAsync(_run.GaveBack(taskId));
        }

        return result;
    }

    public Task RevealRequestedAsync(Hash32 taskId, DateTimeOffset revealDeadline)
    {
        Session.Send(new RevealCommand(taskId, revealDeadline));
        return Task.CompletedTask;
    }

    public async Task ConfirmHoldingAsync(Hash32 taskId)
    {
        if (_run.ReleaseIfNotHeld(taskId) is { } reason)
        {
            await GrainFactory.Task(taskId).ReleaseAsync(Worker, reason);
        }
    }

    public async Task OutcomeAsync(WorkerOutcome outcome)
    {
        var step = _run.Apply(outcome.ToDomain());
        if (step.Cancel is { } reason)
        {
            Session.Send(new CancelCommand(outcome.TaskId, reason));
        }

        await Writes.ApplyAsync(step.Write);
    }

    public async Task DrainAsync()
    {
        if (_run.Drain())
        {
            await Writes.WriteNowAsync();
            _connection?.Sync(_run);
            Session.Signal(WorkerSignal.Draining);
        }
    }

    public async Task RevokeAsync()
    {
        await ReleaseAsync(_run.Revoke(), ReplicateStatus.Abandoned);
        await Writes.WriteNowAsync();
        _connection?.Sync(_run);
        SyncDeadline();
        Session.End(WorkerSignal.Revoked);
    }

    public async Task<bool> CheckLivenessAsync()
    {
        var now = clock.UtcNow;
        if (_run.DeclareLostIfSilent(now, _options.HeartbeatTimeout) is not { } released)
        {
            MoveDeadline(); // alive (or not live): the sweep postponed the deadline when it asked; set it right
            return false;
        }

        await ReleaseAsync(released, ReplicateStatus.WorkerLost);
        var s = state.State;
        s.Outbox.Add(new WorkerLostV1($"worker-lost:{Worker}:{_run.LostCount}", now, Worker, released.Count));
        await Writes.WriteNowAsync();
        await outbox.PublishAsync(s.Outbox, this);
        GrainsTelemetry.WorkersLost.Add(1);
        _connection?.Sync(_run);
        LogWorkerLost(logger, Worker, released.Count);
        SyncDeadline();
        Session.End(WorkerSignal.Lost);
        return true;
    }

    public async Task<WorkerView> GetViewAsync()
    {
        if (state.State.Attestation is { Verified: true })
        {
            await Kept.GetAsync(); // the last change of its TEE standing, which the view shows
        }

        var (teeStatus, teeReason) = TeeStanding();
        return new WorkerView(Worker, _run.State, _run.Score, state.State.Capabilities, _run.Held.Keys.ToList(),
            _run.LastHeartbeat, _run.Contributions, _run.Wins, _run.Losses)
        {
            Attestation = state.State.Attestation,
            TeeStatus = teeStatus,
            TeeReason = teeReason,
            ReattestDueAt = _run.IsLive && teeStatus.Length > 0 ? keeper.DueAt(state.State.Attestation) : null,
        };
    }

    public async Task<bool> PokeAsync()
    {
        if (_run.IsLive)
        {
            await CheckLivenessAsync();
        }

        return _run.IsLive;
    }

    /// <summary>
    /// A per-worker reminder registered by a silo of a version before the roster (a rolling update): the worker
    /// moves to the roster (listed first, so it is never in neither), the reminder goes, and liveness is judged.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_run.IsLive)
        {
            await GrainFactory.Roster(Worker, _options.RosterShards).EnlistAsync(Worker);
        }

        if (await this.GetReminder(LegacyLivenessReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        await PokeAsync();
    }

    /// <summary>This worker's outcome, when its own call ended the task: the task sends it in the answer instead of calling back.</summary>
    private Task ApplyOwnOutcomeAsync(TaskCallResult result) => result.Outcome is { } outcome ? OutcomeAsync(outcome) : Task.CompletedTask;

    /// <summary>Records what a contribution's answer means for the holding: accepted, or refused in a way that frees the slot.</summary>
    private async Task AfterContributionAsync(Hash32 taskId, TaskCallResult result, Func<WorkerWrite> accepted)
    {
        if (result.Accepted)
        {
            await Writes.ApplyAsync(accepted());
            return;
        }

        var step = _run.ContributionRefused(taskId, result.Refusal!.Value, result.Message);
        if (step.ReleaseAtTask)
        {
            await GrainFactory.Task(taskId).ReleaseAsync(Worker, ReplicateStatus.Abandoned);
        }

        if (step.Cancel is { } reason)
        {
            Session.Send(new CancelCommand(taskId, reason));
        }

        await Writes.ApplyAsync(step.Write);
    }

    private Task ReleaseAsync(IReadOnlyList<Hash32> taskIds, ReplicateStatus reason)
        => Task.WhenAll(taskIds.Select(taskId => GrainFactory.Task(taskId).ReleaseAsync(Worker, reason)));

    /// <summary>
    /// Keeps the silo's sweep watching this worker exactly while it is live: the sweep asks at the instant the worker's
    /// silence reaches the timeout (detection within the timeout plus one sweep interval), and heartbeats only move
    /// the instant (one field write), where a grain timer per worker cost most of a kilobyte of every held session.
    /// </summary>
    private void SyncDeadline()
    {
        if (_run.IsLive)
        {
            if (_deadline is null)
            {
                _deadline = new LivenessDeadline(GrainContext.GrainId);
                sweep.Track(_deadline);
            }

            MoveDeadline();
        }
        else if (_deadline is { } deadline)
        {
            sweep.Untrack(deadline);
            _deadline = null;
        }
    }

    /// <summary>The instant the worker's silence reaches the timeout, from its last sign of life.</summary>
    private void MoveDeadline()
    {
        if (_deadline is { } deadline && _run.UntilSilent(clock.UtcNow, _options.HeartbeatTimeout) is { } left)
        {
            sweep.Due(deadline, left);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} lost; {Released} replicates released")]
    private static partial void LogWorkerLost(ILogger logger, Address worker, int released);

}
