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
using Orchestrator.Telemetry;
using Orleans.Runtime;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Deals;

/// <summary>
/// A deal: idempotent creation, fan-out of its tasks into the dispatch partitions, counts by status,
/// the final deadline as a reminder, and reconciliation of tasks that went quiet. Task notices are
/// frequent, so counters are written behind (coalesced) rather than once per notice: they are derived
/// from the tasks, which hold the truth, and reconciliation rebuilds any notice lost with a silo.
/// </summary>
public sealed partial class DealGrain : Grain, IDealGrain, IRemindable
{
    private const string DeadlineReminder = "deal-deadline";
    private readonly IPersistentState<DealGrainState> _state;
    private readonly OrchestratorClock _clock;
    private readonly OutboxPublisher _outbox;
    private readonly DispatchRouter _router;
    private readonly CategoryCatalog _categories;
    private readonly SchedulingOptions _options;
    private readonly ILogger _logger;
    private readonly CoalescedWrites<DealGrainState> _writes;
    private DealRun? _run;

    public DealGrain(
        [PersistentState("deal", StorageNames.Default)] IPersistentState<DealGrainState> state,
        OrchestratorClock clock,
        OutboxPublisher outbox,
        DispatchRouter router,
        CategoryCatalog categories,
        IOptions<SchedulingOptions> options,
        ILogger<DealGrain> logger)
    {
        _state = state;
        _clock = clock;
        _outbox = outbox;
        _router = router;
        _categories = categories;
        _options = options.Value;
        _logger = logger;
        _writes = new CoalescedWrites<DealGrainState>(state, this, _options.WriteBehindInterval, logger, () =>
        {
            if (_run is not null) _state.State.CopyFrom(_run);
        });
    }

    private Hash32 DealId => field.IsZero ? field = Hash32.Parse(this.GetPrimaryKeyString()) : field;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _run = _state.State.ToDomain();
        await _outbox.PublishAsync(_state.State.Outbox, this);
        if (_state.State.Spec is not null && !_state.State.Dispatched && _state.State.CancelReason is null)
        {
            await FanOutAsync();
        }
    }

    // A graceful stop hands the grain over to another silo: flush what was written behind, or the next
    // activation shows stale progress until reconciliation (a timeref away).
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _writes.FlushOnDeactivateAsync(cancellationToken);

    public async Task<DealCreationResult> CreateAsync(DealSpecMessage spec)
    {
        // The deal's own trace (its id's, like a task's); the caller's span (a gRPC request) is linked.
        using var activity = TaskTrace.Start(GrainsTelemetry.Source, "deal.create", DealId);
        activity?.SetTag(TelemetryTags.DealId, DealId.ToString());
        if (spec.DealId != DealId)
        {
            return new DealCreationResult(DealId, false, [$"deal id {spec.DealId} sent to deal {DealId}"]);
        }

        if (_state.State.Spec is { } existing)
        {
            // Compared as it was sent: a key copied from the requester's registration was not in the
            // request, so the chain listener reading its range again still finds the same deal.
            var sent = _state.State.BeneficiaryKeyRegistered ? existing with { BeneficiaryKey = null } : existing;
            return sent == spec || SameTerms(sent, spec)
                ? new DealCreationResult(DealId, false, [])
                : new DealCreationResult(DealId, false, [$"deal {DealId} already exists with other terms"]);
        }

        // Where the admin API and the chain listener meet: a deal that names no key and is not public
        // takes a copy of its requester's registered key (a chain deal has no way to name one), so a
        // later registration changes no running deal.
        var registered = false;
        if (spec.BeneficiaryKey is null && !spec.PublicResults && await GrainFactory.RequesterKey(spec.Requester).GetAsync() is { } key)
        {
            spec = spec with { BeneficiaryKey = key.PublicKey };
            registered = true;
        }

        var domain = spec.ToDomain();
        var errors = domain.Validate(_categories);
        if (errors.Count > 0 || !_categories.TryGet(spec.CategoryId, out var category))
        {
            return new DealCreationResult(DealId, false, errors);
        }

        // The deal runs the app's version current now, also after its owner publishes another: the
        // ticket carries it, so admission and secret release read that version's measurements.
        var pinned = await GrainFactory.AppRegistry(spec.App).PinAsync(DealId);
        var now = _clock.UtcNow;
        _state.State.Spec = spec;
        _state.State.BeneficiaryKeyRegistered = registered;
        _state.State.Ticket = DealTicket.From(domain, category) with { AppVersion = pinned?.Version ?? 0 };
        _run = DealRun.Start(spec.BotFirst, spec.BotSize);
        _state.State.CreatedAt = now;
        _state.State.Outbox.Add(new DealAcceptedV1($"deal-accepted:{DealId}", now, DealId, spec.Requester, spec.BotFirst, spec.BotSize, spec.Trust, spec.Tag.Bits));
        await _writes.WriteNowAsync();
        await _outbox.PublishAsync(_state.State.Outbox, this);
        await FanOutAsync();
        await ArmDeadlineReminderAsync();
        GrainsTelemetry.DealsCreated.Add(1);
        // For operators only (the status page): a deal is never held back by its directory entry.
        _ = GrainFactory.DealDirectory().RecordAsync(new DealDirectoryEntry(DealId, now, spec.BotSize));
        LogDealCreated(_logger, DealId, spec.BotSize, spec.Trust);
        return new DealCreationResult(DealId, true, []);
    }

    public Task<DealView> GetViewAsync()
    {
        var s = _state.State;
        if (s.Spec is null || s.Ticket is null)
        {
            return Task.FromResult(new DealView(DealId, false, 0, 0, 0, default, default, 0, 0, 0, 0));
        }

        var final = Deadlines.Final(s.Spec.StartTime, s.Ticket.Timeref);
        var run = _run!;
        return Task.FromResult(new DealView(DealId, true, s.Spec.BotSize, run.Completed, run.Failed, s.Spec.StartTime, final, s.Spec.Trust, s.Spec.CategoryId, s.Spec.Tag.Bits, run.Reopens, s.Spec.BotFirst)
        {
            CancelReason = run.CancelReason,
        });
    }

    public async Task<DealView> CancelAsync(string reason)
    {
        using var activity = TaskTrace.Start(GrainsTelemetry.Source, "deal.cancel", DealId);
        if (_run is null || string.IsNullOrWhiteSpace(reason))
        {
            return await GetViewAsync();
        }

        var outcome = _run.Cancel(reason);
        activity?.SetTag(TelemetryTags.Result, outcome.ToString());
        if (outcome == DealCancellation.AlreadyFinished)
        {
            return await GetViewAsync();
        }

        if (outcome == DealCancellation.Cancelled)
        {
            // Written before any task hears of it: a crash in between leaves a cancelled deal whose
            // reminder (or the listener's next call) tells its tasks again.
            await _writes.WriteNowAsync();
            LogDealCancelled(_logger, DealId, reason);
        }

        await CancelOpenTasksAsync();
        return await GetViewAsync();
    }

    public Task OnTaskFinalAsync(TaskFinalNotice notice) => OnTasksFinalAsync([notice]);

    public async Task OnTasksFinalAsync(IReadOnlyList<TaskFinalNotice> notices)
    {
        ArgumentNullException.ThrowIfNull(notices);
        var result = DealNotice.Ignored;
        foreach (var notice in notices)
        {
            var counted = _run?.TaskFinal(notice.Index, notice.Status == TaskStatus.Completed, notice.Reopens) ?? DealNotice.Ignored;
            result = (DealNotice)Math.Max((int)result, (int)counted); // Ignored < Counted < Finished: the batch does the most any notice asked
        }

        if (result == DealNotice.Finished)
        {
            var s = _state.State;
            s.Outbox.Add(new DealFinishedV1($"deal-finished:{DealId}", _clock.UtcNow, DealId, _run!.Completed, _run.Failed));
            await _writes.WriteNowAsync();
            await _outbox.PublishAsync(s.Outbox, this);
            await UnregisterDeadlineReminderAsync();
        }
        else if (result == DealNotice.Counted)
        {
            _writes.MarkDirty(); // derived from the tasks, which hold the truth; reconciliation rebuilds a lost notice
        }
    }

    public Task<IReadOnlyList<long>> GetOpenTaskIndicesAsync(int max) => Task.FromResult(_run?.OpenIndices(max) ?? []);

    public async Task CheckDeadlinesAsync()
    {
        var s = _state.State;
        if (s.Spec is null || s.Ticket is null || _run is null || _run.Finished)
        {
            await UnregisterDeadlineReminderAsync();
            return;
        }

        if (_run.Cancelled)
        {
            await CancelOpenTasksAsync();
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
        foreach (var index in _run.OpenIndices())
        {
            var ticket = new TaskTicket(s.Ticket, index, spec.ParamsAt((int)(index - spec.BotFirst)));
            _ = GrainFactory.Task(ticket.TaskId).NudgeAsync(ticket);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => CheckDeadlinesAsync();

    /// <summary>
    /// Tells every open task it is cancelled, awaited in chunks so a large deal does not flood the silo;
    /// the tasks never call the deal back on this path, so the deal may wait on them.
    /// </summary>
    private async Task CancelOpenTasksAsync()
    {
        var s = _state.State;
        var spec = s.Spec!.ToDomain();
        var reason = _run!.CancelReason!;
        foreach (var chunk in _run.OpenIndices().Chunk(_options.FanOutChunk))
        {
            await Task.WhenAll(chunk.Select(index =>
            {
                var ticket = new TaskTicket(s.Ticket!, index, spec.ParamsAt((int)(index - spec.BotFirst)));
                return GrainFactory.Task(ticket.TaskId).CancelAsync(ticket, reason);
            }));
        }
    }

    private async Task FanOutAsync()
    {
        var s = _state.State;
        var spec = s.Spec!;
        var chunk = _options.FanOutChunk;
        var entries = new List<DispatchEntry>();
        for (var offset = 0; offset < spec.BotSize; offset += chunk)
        {
            var count = Math.Min(chunk, spec.BotSize - offset);
            var taskParams = spec.TaskParams.Count > offset ? spec.TaskParams.Skip(offset).Take(count).ToList() : [];
            entries.Add(new DispatchEntry(s.Ticket!, spec.BotFirst + offset, count, taskParams, []));
        }

        await _router.FanOutAsync(GrainFactory, s.Ticket!.Requirements.DispatchClass, entries, (int)(DealId.GetHashCode() & 0x7fffffff) % _router.Shards);
        s.Dispatched = true;
        await _writes.WriteNowAsync();
    }

    private async Task ArmDeadlineReminderAsync()
    {
        // The reminder is the durable wake-up for the final deadline and for reconciliation; its period
        // is the category's timeref (at least Orleans' one-minute minimum). Each tick recomputes from state.
        var timeref = _state.State.Ticket!.Timeref;
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

    public Task<IReadOnlyDictionary<int, string>> GetRequesterSecretsAsync()
        => Task.FromResult(_state.State.Spec?.RequesterSecrets ?? new Dictionary<int, string>());

    private static bool SameTerms(DealSpecMessage a, DealSpecMessage b)
        => a with { TaskParams = b.TaskParams, BeneficiaryKey = b.BeneficiaryKey, RequesterSecrets = b.RequesterSecrets } == b
            && a.TaskParams.SequenceEqual(b.TaskParams)
            && (a.RequesterSecrets ?? new Dictionary<int, string>()).OrderBy(p => p.Key).SequenceEqual((b.RequesterSecrets ?? new Dictionary<int, string>()).OrderBy(p => p.Key))
            && (a.BeneficiaryKey ?? []).AsSpan().SequenceEqual(b.BeneficiaryKey ?? []);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deal {DealId} cancelled: {Reason}")]
    private static partial void LogDealCancelled(ILogger logger, Hash32 dealId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deal {DealId} created: {BotSize} tasks, trust {Trust}")]
    private static partial void LogDealCreated(ILogger logger, Hash32 dealId, int botSize, int trust);
}
