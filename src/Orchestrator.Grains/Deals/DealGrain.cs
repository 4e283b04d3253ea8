using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Bus;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Deals;

/// <summary>
/// A deal: idempotent creation, fan-out of its tasks into the dispatch partitions, counts by status,
/// the final deadline as a reminder, and reconciliation of tasks that went quiet. Task notices are
/// frequent, so counters are written behind (coalesced) rather than once per notice: they are derived
/// from the tasks, which hold the truth, and reconciliation rebuilds any notice lost with a silo.
/// </summary>
public sealed partial class DealGrain(
    [PersistentState("deal", StorageNames.Default)] IPersistentState<DealGrainState> state,
    OrchestratorClock clock,
    OutboxPublisher outbox,
    DispatchRouter router,
    CategoryCatalog categories,
    IOptions<SchedulingOptions> options,
    ILogger<DealGrain> logger) : Grain, IDealGrain, IRemindable
{
    private const string DeadlineReminder = "deal-deadline";
    private bool _dirty;
    private IGrainTimer? _flushTimer;

    private Hash32 DealId => field.IsZero ? field = Hash32.Parse(this.GetPrimaryKeyString()) : field;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await outbox.PublishAsync(state.State.Outbox, this);
        if (state.State.Spec is not null && !state.State.Dispatched)
        {
            await FanOutAsync();
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

    public async Task<DealCreationResult> CreateAsync(DealSpecMessage spec)
    {
        if (spec.DealId != DealId)
        {
            return new DealCreationResult(DealId, false, [$"deal id {spec.DealId} sent to deal {DealId}"]);
        }

        if (state.State.Spec is { } existing)
        {
            return existing == spec || SameTerms(existing, spec)
                ? new DealCreationResult(DealId, false, [])
                : new DealCreationResult(DealId, false, [$"deal {DealId} already exists with other terms"]);
        }

        var domain = spec.ToDomain();
        var errors = domain.Validate(categories);
        if (errors.Count > 0 || !categories.TryGet(spec.CategoryId, out var category))
        {
            return new DealCreationResult(DealId, false, errors);
        }

        var now = clock.UtcNow;
        state.State.Spec = spec;
        state.State.Ticket = DealTicket.From(domain, category);
        state.State.FinalBits = new byte[(spec.BotSize + 7) / 8];
        state.State.CreatedAt = now;
        state.State.Outbox.Add(new DealAcceptedV1($"deal-accepted:{DealId}", now, DealId, spec.Requester, spec.BotFirst, spec.BotSize, spec.Trust, spec.Tag.Bits));
        await state.WriteOrResetAsync(this);
        await outbox.PublishAsync(state.State.Outbox, this);
        await FanOutAsync();
        await ArmDeadlineReminderAsync();
        LogDealCreated(logger, DealId, spec.BotSize, spec.Trust);
        return new DealCreationResult(DealId, true, []);
    }

    public Task<DealView> GetViewAsync()
    {
        var s = state.State;
        if (s.Spec is null || s.Ticket is null)
        {
            return Task.FromResult(new DealView(DealId, false, 0, 0, 0, default, default, 0, 0, 0, 0));
        }

        var final = Deadlines.Final(s.Spec.StartTime, s.Ticket.Timeref);
        return Task.FromResult(new DealView(DealId, true, s.Spec.BotSize, s.Completed, s.Failed, s.Spec.StartTime, final, s.Spec.Trust, s.Spec.CategoryId, s.Spec.Tag.Bits, s.Reopens, s.Spec.BotFirst));
    }

    public async Task OnTaskFinalAsync(TaskFinalNotice notice)
    {
        var s = state.State;
        if (s.Spec is null)
        {
            return;
        }

        var offset = (int)(notice.Index - s.Spec.BotFirst);
        if (offset < 0 || offset >= s.Spec.BotSize || s.IsFinal(offset))
        {
            return; // idempotent: a repeated notice changes nothing
        }

        s.MarkFinal(offset);
        s.Reopens += notice.Reopens;
        if (notice.Status == TaskStatus.Completed) s.Completed++;
        else s.Failed++;

        if (s.Completed + s.Failed == s.Spec.BotSize && !s.Finished)
        {
            s.Finished = true;
            s.Outbox.Add(new DealFinishedV1($"deal-finished:{DealId}", clock.UtcNow, DealId, s.Completed, s.Failed));
            await state.WriteOrResetAsync(this);
            _dirty = false;
            await outbox.PublishAsync(s.Outbox, this);
            await UnregisterDeadlineReminderAsync();
            return;
        }

        MarkDirty();
    }

    public Task<IReadOnlyList<long>> GetOpenTaskIndicesAsync(int max)
    {
        var s = state.State;
        var open = new List<long>();
        if (s.Spec is null)
        {
            return Task.FromResult<IReadOnlyList<long>>(open);
        }

        for (var offset = 0; offset < s.Spec.BotSize && open.Count < max; offset++)
        {
            if (!s.IsFinal(offset))
            {
                open.Add(s.Spec.BotFirst + offset);
            }
        }

        return Task.FromResult<IReadOnlyList<long>>(open);
    }

    public async Task CheckDeadlinesAsync()
    {
        var s = state.State;
        if (s.Spec is null || s.Ticket is null || s.Finished)
        {
            await UnregisterDeadlineReminderAsync();
            return;
        }

        if (!s.Dispatched)
        {
            await FanOutAsync();
        }

        // Reconcile: every task not known to be final applies time (timeouts, reveal deadline, the final
        // deadline) and re-requests replicates it lacks. One-way, so the deal never waits on its tasks.
        var spec = s.Spec.ToDomain();
        for (var offset = 0; offset < spec.BotSize; offset++)
        {
            if (!s.IsFinal(offset))
            {
                var index = spec.BotFirst + offset;
                var ticket = new TaskTicket(s.Ticket, index, spec.ParamsAt(offset));
                _ = GrainFactory.Task(ticket.TaskId).NudgeAsync(ticket);
            }
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => CheckDeadlinesAsync();

    private async Task FanOutAsync()
    {
        var s = state.State;
        var spec = s.Spec!;
        var chunk = options.Value.FanOutChunk;
        var entries = new List<DispatchEntry>();
        for (var offset = 0; offset < spec.BotSize; offset += chunk)
        {
            var count = Math.Min(chunk, spec.BotSize - offset);
            var taskParams = spec.TaskParams.Count > offset ? spec.TaskParams.Skip(offset).Take(count).ToList() : [];
            entries.Add(new DispatchEntry(s.Ticket!, spec.BotFirst + offset, count, taskParams, []));
        }

        await router.FanOutAsync(GrainFactory, s.Ticket!.Requirements.DispatchClass, entries, (int)(DealId.GetHashCode() & 0x7fffffff) % router.Shards);
        s.Dispatched = true;
        await state.WriteOrResetAsync(this);
    }

    private async Task ArmDeadlineReminderAsync()
    {
        // The reminder is the durable wake-up for the final deadline and for reconciliation; its period
        // is the category's timeref (at least Orleans' one-minute minimum). Each tick recomputes from state.
        var timeref = state.State.Ticket!.Timeref;
        var period = timeref < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : timeref;
        await this.RegisterOrUpdateReminder(DeadlineReminder, period, period);
    }

    private async Task UnregisterDeadlineReminderAsync()
    {
        var reminder = await this.GetReminder(DeadlineReminder);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private void MarkDirty()
    {
        _dirty = true;
        _flushTimer ??= this.RegisterGrainTimer(async _ =>
        {
            if (_dirty)
            {
                _dirty = false;
                await state.WriteOrResetAsync(this);
            }
        }, new GrainTimerCreationOptions { DueTime = options.Value.WriteBehindInterval, Period = options.Value.WriteBehindInterval, Interleave = false });
    }

    private static bool SameTerms(DealSpecMessage a, DealSpecMessage b)
        => a with { TaskParams = b.TaskParams } == b && a.TaskParams.SequenceEqual(b.TaskParams);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deal {DealId} created: {BotSize} tasks, trust {Trust}")]
    private static partial void LogDealCreated(ILogger logger, Hash32 dealId, int botSize, int trust);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Write-behind flush at deactivation failed: {Reason}")]
    private static partial void LogFlushFailed(ILogger logger, string reason);
}
