using System.Diagnostics;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Bus;
using Orchestrator.Grains.Deals;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Telemetry;
using Orleans.Runtime;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tasks;

/// <summary>
/// Drives one task through the pure <see cref="TaskRun"/>: every accepted change is written before it
/// is acknowledged, its events go to the outbox in the same write, and only then do other grains hear
/// of it. The grain is non-reentrant: one step at a time, fenced by the storage ETag.
/// </summary>
public sealed class TaskGrain(
    [PersistentState("task", StorageNames.Default)] IPersistentState<TaskGrainState> state,
    OrchestratorClock clock,
    OutboxPublisher outbox,
    DispatchRouter router,
    DealNoticeCarrier dealNotices,
    IOptions<SchedulingOptions> options) : Grain, ITaskGrain, IRemindable
{
    private const string RevealReminder = "reveal-deadline";
    private TaskRun? _run;
    private IGrainTimer? _revealTimer;
    private LiveGaugeSlot? _statusSlot;

    // Whether a reveal reminder may be registered. Looking one up is a database read with durable
    // reminders, and most tasks (every TEE task, most replicated ones) never register one, so only a
    // task that has been REVEALING (in this or an earlier activation) or was woken by a reminder looks.
    private bool _revealReminderMayExist;

    private Hash32 TaskId => field.IsZero ? field = Hash32.Parse(this.GetPrimaryKeyString()) : field;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _revealReminderMayExist = state.State.RevealDeadline is not null;
        _statusSlot = GrainsTelemetry.TasksByStatus.Register(TelemetryTags.StatusName(state.State.Status), 1);
        // Events written but not published before a crash go out now (at least once), in the task's trace.
        using var activity = state.State.Outbox.Count > 0 ? TaskTrace.Start(GrainsTelemetry.Source, "task.outbox-replay", TaskId) : null;
        await outbox.PublishAsync(state.State.Outbox, this);
        await DeliverOutcomesAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _statusSlot?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<AssignResult> AssignAsync(TaskTicket ticket, Address worker, int score)
    {
        using var activity = Span("task.assign", worker);
        EnsureTicket(ticket);
        var run = Run();
        var now = clock.UtcNow;
        if (run.Replicates.Count > 0 && state.State.OutstandingRequests > 0)
        {
            state.State.OutstandingRequests--;
        }

        var step = run.Assign(worker, Domain.Consensus.Credibility.Weight(score), now);
        if (!step.Accepted)
        {
            if (step.Refusal!.Code == TaskRefusalCode.AlreadyHoldsReplicate)
            {
                // The ticket reached a worker that already holds this task: hand it on to someone else.
                await RequestReplicasAsync(run, now);
            }

            activity?.SetTag(TelemetryTags.Result, step.Refusal.Code.ToString());
            return new AssignResult(null, step.Refusal.Code, step.Refusal.Message);
        }

        if (run.Terms.Tag.RequiresTee)
        {
            await EnsureEnclaveChallengeAsync(run);
        }

        if (state.State.FirstAssignedAt is null)
        {
            state.State.FirstAssignedAt = now;
            GrainsTelemetry.TimeToFirstAssignment.Record((now - ticket.Deal.StartTime).TotalSeconds);
        }

        await CommitAsync(run, step, now);
        await RequestReplicasAsync(run, now);
        var deal = state.State.Deal!;
        var terms = run.Terms;
        var assignment = new Assignment(
            run.TaskId, terms.DealId, terms.Index, deal.App, deal.Dataset, state.State.Params, terms.Trust, deal.CategoryId,
            terms.ContributionDeadline, terms.FinalDeadline, terms.Tag.Kind, run.EnclaveChallenge ?? Address.Zero,
            terms.IsTeeFastPath, now)
        {
            BeneficiaryKey = deal.BeneficiaryKey,
            Callback = terms.Callback,
            Cores = deal.Cores,
            MemoryMb = deal.MemoryMb,
        };
        return new AssignResult(assignment, null, string.Empty);
    }

    public async Task<TaskCallResult> ContributeAsync(Address worker, int score, Hash32 resultHash, Hash32 resultSeal, byte[] workerSignature)
    {
        using var activity = Span("task.contribute", worker);
        if (state.State.Deal is null) return Unknown();
        var run = Run();
        var now = clock.UtcNow;
        var step = run.Contribute(worker, score, resultHash, resultSeal, workerSignature, now);
        GrainsTelemetry.Contributions.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Result, step.Accepted ? "accepted" : step.Refusal!.Code.ToString()));
        if (!step.Accepted) return Refused(step, run);
        var own = await CommitAsync(run, step, now, worker);
        await RequestReplicasAsync(run, now);
        var consensus = step.Effects.OfType<ConsensusReached>().FirstOrDefault();
        var revealNow = run.Status == TaskStatus.Revealing && resultHash == run.ConsensusHash;
        return TaskCallResult.Ok(run.Status, revealNow, consensus?.RevealDeadline ?? run.RevealDeadline) with { Outcome = own };
    }

    public async Task<TaskCallResult> ContributeAndFinalizeAsync(Address worker, int score, Hash32 resultDigest, byte[] enclaveSignature, byte[]? callbackData = null)
    {
        using var activity = Span("task.contribute-finalize", worker);
        if (state.State.Deal is null) return Unknown();
        var run = Run();
        var now = clock.UtcNow;
        var step = run.ContributeAndFinalize(worker, score, resultDigest, enclaveSignature, now, callbackData);
        GrainsTelemetry.Contributions.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Result, step.Accepted ? "accepted" : step.Refusal!.Code.ToString()));
        if (!step.Accepted) return Refused(step, run);
        var own = await CommitAsync(run, step, now, worker);
        return TaskCallResult.Ok(run.Status) with { Outcome = own };
    }

    public async Task<TaskCallResult> RevealAsync(Address worker, Hash32 resultDigest, byte[]? callbackData = null)
    {
        using var activity = Span("task.reveal", worker);
        if (state.State.Deal is null) return Unknown();
        var run = Run();
        var now = clock.UtcNow;
        var step = run.Reveal(worker, resultDigest, now, callbackData);
        if (!step.Accepted) return Refused(step, run);
        var own = await CommitAsync(run, step, now, worker);
        return TaskCallResult.Ok(run.Status) with { Outcome = own };
    }

    public async Task<TaskCallResult> ReleaseAsync(Address worker, ReplicateStatus reason)
    {
        using var activity = Span("task.release", worker);
        if (state.State.Deal is null) return Unknown();
        var run = Run();
        var now = clock.UtcNow;
        var step = run.Release(worker, reason, now);
        if (!step.Accepted) return Refused(step, run);
        if (step.Changed)
        {
            await CommitAsync(run, step, now);
            await RequestReplicasAsync(run, now);
        }

        return TaskCallResult.Ok(run.Status);
    }

    public async Task<TaskCallResult> GiveBackAsync(Address worker, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        using var activity = Span("task.give-back", worker);
        if (state.State.Deal is null) return Unknown();
        var run = Run();
        var now = clock.UtcNow;
        var step = run.Release(worker, ReplicateStatus.Abandoned, now);
        if (!step.Accepted) return Refused(step, run);
        if (step.Changed)
        {
            if (reason.Length > 0)
            {
                state.State.LastFailure = $"worker {worker.ToLowerHex()} gave it back: {reason}";
            }

            await CommitAsync(run, step, now);
            await RequestReplicasAsync(run, now);
        }

        return TaskCallResult.Ok(run.Status);
    }

    public async Task NudgeAsync(TaskTicket ticket)
    {
        using var activity = Span("task.nudge", null);
        EnsureTicket(ticket);
        await AdvanceAsync();
    }

    public async Task CancelAsync(TaskTicket ticket, string reason)
    {
        using var activity = Span("task.cancel", null);
        EnsureTicket(ticket);
        var run = Run();
        var step = run.Cancel(reason);
        if (step.Changed)
        {
            await CommitAsync(run, step, clock.UtcNow);
        }
    }

    public Task<UploadAdmission> AdmitUploadAsync(Address worker)
    {
        if (state.State.Deal is null)
        {
            return Task.FromResult(new UploadAdmission(UploadRefusalCode.UnknownTask, $"task {TaskId} is unknown to this pool", TaskStatus.Unset, null));
        }

        var run = Run();
        var refusal = ResultUploadRules.Check(run, worker);
        return Task.FromResult(refusal is null
            ? new UploadAdmission(null, string.Empty, run.Status, ResultUploadRules.ConsensusDigest(run)) { EncryptedForBeneficiary = state.State.Deal.BeneficiaryKey is not null }
            : new UploadAdmission(refusal.Code, refusal.Message, run.Status, null));
    }

    public Task<UploadAdmission> AdmitLogsAsync(Address worker)
    {
        if (state.State.Deal is null)
        {
            return Task.FromResult(new UploadAdmission(UploadRefusalCode.UnknownTask, $"task {TaskId} is unknown to this pool", TaskStatus.Unset, null));
        }

        var run = Run();
        var refusal = LogsUploadRules.Check(run, worker);
        return Task.FromResult(refusal is null
            ? new UploadAdmission(null, string.Empty, run.Status, null) { EncryptedForBeneficiary = state.State.Deal.BeneficiaryKey is not null }
            : new UploadAdmission(refusal.Code, refusal.Message, run.Status, null));
    }

    public Task<ResultTerms> GetResultTermsAsync()
    {
        if (state.State.Deal is not { } deal)
        {
            return Task.FromResult(new ResultTerms(false, Address.Zero, null, TaskStatus.Unset, null));
        }

        var run = Run();
        return Task.FromResult(new ResultTerms(true, deal.Requester, deal.BeneficiaryKey, run.Status, run.ResultDigest));
    }

    public Task<TaskView> GetViewAsync()
    {
        if (state.State.Deal is null)
        {
            return Task.FromResult(new TaskView(TaskId, Hash32.Zero, -1, TaskStatus.Unset, [], null, null, null, 0));
        }

        var run = Run();
        var replicates = run.Replicates.Select(r => new ReplicateView(r.Worker, r.Status, r.AssignedAt, r.ResultHash, r.Weight)).ToList();
        return Task.FromResult(new TaskView(run.TaskId, run.Terms.DealId, run.Terms.Index, run.Status, replicates, run.ConsensusHash, run.ResultDigest, run.RevealDeadline, run.Reopens)
        {
            CancelReason = run.CancelReason,
            LastFailure = state.State.LastFailure,
        });
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _revealReminderMayExist = true;
        if (state.State.Deal is null)
        {
            await UnregisterRevealReminderAsync();
            return;
        }

        using var activity = Span("task.reminder", null);
        await AdvanceAsync();
    }

    private async Task AdvanceAsync()
    {
        var run = Run();
        var now = clock.UtcNow;
        var step = run.Advance(now);
        if (step.Changed)
        {
            await CommitAsync(run, step, now);
        }
        else if (run.Status.IsFinal())
        {
            // Only the deal nudges, and only tasks it believes open: its notice was lost (silo or
            // database loss), so send it again; the deal counts each index once.
            await NotifyDealAsync(run);
        }
        else if (run.Status == TaskStatus.Revealing && run.RevealDeadline is { } deadline)
        {
            // Reveal requests are one-way and held in memory by worker grains: repeat them to the
            // winners who have not revealed (at least once; a worker reveals each task once).
            foreach (var winner in run.Replicates.Where(r => r.Status == ReplicateStatus.Contributed && r.ResultHash == run.ConsensusHash))
            {
                _ = GrainFactory.Worker(winner.Worker).RevealRequestedAsync(run.TaskId, deadline);
            }
        }

        // Replicates handed out a while ago and still not contributed: ask their workers whether they
        // really hold them (a hand-out can be lost with a silo); those that do not give them back.
        foreach (var replicate in run.Replicates.Where(r => !run.Status.IsFinal() && !run.Cancelled && r.Status == ReplicateStatus.Assigned && now - r.AssignedAt >= options.Value.HoldingCheckAge))
        {
            _ = GrainFactory.Worker(replicate.Worker).ConfirmHoldingAsync(run.TaskId);
        }

        await DeliverOutcomesAsync();

        // Reconciliation: earlier requests may have been lost with a partition (they are soft), and a
        // ticket may have been lost between a take and its assignment; ask again for what is lacking.
        await RequestReplicasAsync(run, now, reissue: true);
        if (run.Status != TaskStatus.Revealing)
        {
            await UnregisterRevealReminderAsync();
        }
    }

    /// <summary>
    /// Persists the step with its outbox events, then publishes and tells the others. Returns the calling
    /// worker's own outcome when the step ended the task (<paramref name="caller"/>'s grain applies it from the
    /// answer; the others get theirs one-way).
    /// </summary>
    /// <remarks>
    /// A lifecycle writes three times (assignment, contribution, reveal) and none is merged into the next: each is
    /// what a task recovering from a silo loss needs to accept its worker's next step (a contribution from a holder
    /// it knows of, a reveal of a contribution it counted), and the worker goes on as soon as it is answered.
    /// </remarks>
    private async Task<WorkerOutcome?> CommitAsync(TaskRun run, TaskStep step, DateTimeOffset now, Address? caller = null)
    {
        WorkerOutcome? own = null;
        state.State.CopyFrom(run);
        foreach (var effect in step.Effects)
        {
            switch (effect)
            {
                case TaskCompleted completed:
                    state.State.Outbox.Add(TaskEvents.Completed(run, completed, now));
                    state.State.PendingOutcomes.AddRange(completed.Settlement.Workers.Select(w =>
                        new PendingOutcome(w.Worker, WorkerOutcome.From(TaskOutcomes.Of(run, completed, w)))));
                    break;
                case TaskFailed failed:
                    state.State.Outbox.Add(TaskEvents.Failed(run, failed, now));
                    state.State.PendingOutcomes.AddRange(run.Replicates.Where(r => r.Status is ReplicateStatus.Assigned or ReplicateStatus.TimedOut or ReplicateStatus.Contributed)
                        .Select(r => new PendingOutcome(r.Worker, WorkerOutcome.From(TaskOutcomes.Failed(run)))));
                    break;
                case TaskCancelled cancelled:
                    // Nothing goes to the outbox: a cancelled task is neither finalized nor claimed on chain.
                    state.State.PendingOutcomes.AddRange(cancelled.Holders.Select(w => new PendingOutcome(w, WorkerOutcome.From(TaskOutcomes.Cancelled(run, cancelled)))));
                    break;
            }
        }

        await state.WriteOrResetAsync(this); // a failed write deactivates: nothing below runs on unsaved state
        _statusSlot?.Tag = TelemetryTags.StatusName(run.Status);
        Activity.Current?.SetTag(TelemetryTags.Status, TelemetryTags.StatusName(run.Status));

        await outbox.PublishAsync(state.State.Outbox, this);
        foreach (var effect in step.Effects)
        {
            switch (effect)
            {
                case ConsensusReached reached:
                    GrainsTelemetry.ConsensusOutcomes.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Outcome, "reached"));
                    foreach (var winner in reached.Winners.Where(w => w != caller))
                    {
                        _ = GrainFactory.Worker(winner).RevealRequestedAsync(run.TaskId, reached.RevealDeadline);
                    }

                    ArmRevealTimer();
                    break;
                case TaskReopened:
                    GrainsTelemetry.ConsensusOutcomes.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Outcome, "reopened"));
                    break;
                case TaskCompleted:
                case TaskFailed:
                    GrainsTelemetry.TasksFinal.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Status, TelemetryTags.StatusName(run.Status)));
                    GrainsTelemetry.TimeToFinal.Record((now - state.State.Deal!.StartTime).TotalSeconds);
                    if (run.Terms.IsTeeFastPath && effect is TaskCompleted)
                    {
                        GrainsTelemetry.ConsensusOutcomes.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Outcome, "tee"));
                    }

                    await NotifyDealAsync(run);
                    own = TakeOutcomeOf(caller);
                    await DeliverOutcomesAsync();
                    _revealTimer?.Dispose();
                    await UnregisterRevealReminderAsync();
                    break;
                case TaskCancelled:
                    // The deal cancelled it and is waiting on this call: it is not notified back.
                    await DeliverOutcomesAsync();
                    _revealTimer?.Dispose();
                    await UnregisterRevealReminderAsync();
                    break;
            }
        }

        return own;
    }

    /// <summary>
    /// Takes the caller's outcome out of those to deliver: it goes back in the answer, which saves the one-way
    /// call. Delivery stays at least once as before: the outcomes were written with the step, and a task that
    /// loses its activation before the next write delivers them again (a worker applies each outcome once).
    /// </summary>
    private WorkerOutcome? TakeOutcomeOf(Address? caller)
    {
        var pending = state.State.PendingOutcomes;
        var index = caller is { } worker ? pending.FindIndex(p => p.Worker == worker) : -1;
        if (index < 0)
        {
            return null;
        }

        var outcome = pending[index].Outcome;
        pending.RemoveAt(index);
        return outcome;
    }

    private async Task NotifyDealAsync(TaskRun run)
    {
        // The deal hears many tasks in one flight (DealNoticeCarrier): this span is the task's wait for its notice,
        // and the flight's own span links back to it.
        using var activity = Span("task.deal-notice", null);
        await dealNotices.SendAsync(run.Terms.DealId, new TaskFinalNotice(run.Terms.Index, run.Status, run.Reopens));
    }

    private Task DeliverOutcomesAsync()
    {
        // One-way: a task never waits on a worker grain (which may be waiting on this task).
        foreach (var pending in state.State.PendingOutcomes)
        {
            _ = GrainFactory.Worker(pending.Worker).OutcomeAsync(pending.Outcome);
        }

        state.State.PendingOutcomes.Clear();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Asks the dispatch partition for the replicates the task still lacks. Requests are soft (kept in
    /// memory by the partition), so they are counted as outstanding only until they go stale or the
    /// deal reconciles (<paramref name="reissue"/>): then the task forgets them and asks again.
    /// </summary>
    private async Task RequestReplicasAsync(TaskRun run, DateTimeOffset now, bool reissue = false)
    {
        var wanted = run.ReplicasToRequest(now);
        var stale = reissue || (state.State.LastRequestAt is { } last && now - last >= run.Terms.Timeref);
        if (stale)
        {
            state.State.OutstandingRequests = 0;
        }

        var missing = wanted - state.State.OutstandingRequests;
        if (missing <= 0)
        {
            return;
        }

        state.State.OutstandingRequests += missing;
        state.State.LastRequestAt = now;
        var entry = new DispatchEntry(state.State.Deal!, run.Terms.Index, 1, [state.State.Params], run.Holders.ToList(), Soft: true);
        await router.EnqueueAsync(GrainFactory, state.State.Deal!.Requirements.DispatchClass, run.TaskId, Enumerable.Repeat(entry, missing).ToList());
    }

    private void ArmRevealTimer()
    {
        // Most reveals arrive within moments; only a task still REVEALING after the grace period
        // pays for a durable reminder (reminders are for what must survive a silo; a one-minute minimum period and a table scan per refresh make them costly).
        _revealTimer?.Dispose();
        _revealTimer = this.RegisterGrainTimer(async _ =>
        {
            _revealTimer?.Dispose();
            if (Run().Status == TaskStatus.Revealing && state.State.RevealDeadline is { } deadline)
            {
                var due = deadline - clock.UtcNow;
                _revealReminderMayExist = true;
                await this.RegisterOrUpdateReminder(RevealReminder, due < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : due, TimeSpan.FromMinutes(1));
            }
        }, new GrainTimerCreationOptions { DueTime = options.Value.RevealReminderGrace, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }

    private async Task UnregisterRevealReminderAsync()
    {
        if (!_revealReminderMayExist)
        {
            return;
        }

        var reminder = await this.GetReminder(RevealReminder);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }

        _revealReminderMayExist = false;
    }

    private async Task EnsureEnclaveChallengeAsync(TaskRun run)
    {
        if (run.EnclaveChallenge is not null)
        {
            return;
        }

        // One fresh key pair per TEE task, created and held by the secret service: only its address
        // comes here, and the key goes only to the attested enclave that holds this task's replicate.
        var deal = state.State.Deal!;
        var terms = new TaskSecretTerms(deal.DealId, deal.App, deal.Dataset, deal.Requester, run.Terms.FinalDeadline) { AppVersion = deal.AppVersion };
        run.UseEnclaveChallenge(await GrainFactory.TaskSecrets(TaskId).CreateEnclaveChallengeAsync(terms));
    }

    private void EnsureTicket(TaskTicket ticket)
    {
        if (state.State.Deal is not null)
        {
            return;
        }

        if (ticket.TaskId != TaskId)
        {
            throw new ArgumentException($"ticket for task {ticket.TaskId} sent to task {TaskId}");
        }

        state.State.Deal = ticket.Deal;
        state.State.Index = ticket.Index;
        state.State.Params = ticket.Params;
    }

    private TaskRun Run() => _run ??= state.State.ToDomain(TaskId);

    /// <summary>A span in this task's own trace (null when nobody listens).</summary>
    private Activity? Span(string name, Address? worker)
    {
        var activity = TaskTrace.Start(GrainsTelemetry.Source, name, TaskId);
        if (activity is not null)
        {
            activity.SetTag(TelemetryTags.DealId, state.State.Deal?.DealId.ToString());
            activity.SetTag(TelemetryTags.Worker, worker?.ToLowerHex());
        }

        return activity;
    }

    private TaskCallResult Unknown() => TaskCallResult.Refused(TaskRefusalCode.NotAssigned, $"task {TaskId} was never handed out", TaskStatus.Unset);

    private static TaskCallResult Refused(TaskStep step, TaskRun run) => TaskCallResult.Refused(step.Refusal!.Code, step.Refusal.Message, run.Status);
}
