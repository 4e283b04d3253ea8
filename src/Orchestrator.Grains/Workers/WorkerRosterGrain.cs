using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;
using Orchestrator.Grains.Infrastructure;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Orchestrator.Grains.Workers;

/// <summary>A roster shard's persisted state (state name "worker-roster"): the workers it wakes.</summary>
[GenerateSerializer, Alias("orch.state.worker-roster.v1")]
public sealed class WorkerRosterState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public List<Address> Members { get; set; } = [];
}

/// <summary>
/// One shard of the liveness roster over the pure <see cref="LivenessRoster"/>: one reminder wakes it, and it
/// pokes its workers. Reentrant, so enlistments arriving together share one write (each write serializes the
/// whole shard; one write per enlistment made a fleet joining cost quadratic time, as the pool's sightings did)
/// and a sweep waiting on its pokes does not hold registrations up. Every change is written before the call
/// that made it returns; a failed write fails every enlistment it carried and resets the activation.
/// </summary>
[Reentrant]
public sealed partial class WorkerRosterGrain(
    [PersistentState("worker-roster", StorageNames.Default)] IPersistentState<WorkerRosterState> state,
    ILogger<WorkerRosterGrain> logger) : Grain, IWorkerRosterGrain, IRemindable
{
    private const string TickReminder = "worker-roster";
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMinutes(1);
    private LivenessRoster _roster = null!;
    private TaskCompletionSource? _nextWrite;
    private bool _writing;
    private bool _reminderSure;
    private bool _sweeping;
    private bool _failed;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _roster = new LivenessRoster(state.State.Members);
        return Task.CompletedTask;
    }

    public async Task EnlistAsync(Address worker)
    {
        if (_failed)
        {
            // A write failed and the activation is resetting: what memory lists may not be stored.
            throw new InvalidOperationException("the liveness roster is reloading after a failed write; register again");
        }

        if (_roster.Enlist(worker) || _writing || _nextWrite is not null)
        {
            // Listed now, or listed by a write still under way: either way, acknowledged only once written.
            await WriteAsync();
        }

        await EnsureReminderAsync();
    }

    public Task<bool> ListsAsync(Address worker) => Task.FromResult(_roster.Lists(worker));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _reminderSure = true;
        await TickAsync();
    }

    public async Task TickAsync()
    {
        if (_sweeping)
        {
            return; // a tick that overlaps the last one's pokes adds nothing
        }

        _sweeping = true;
        try
        {
            var sweep = _roster.BeginSweep();
            var answers = await Task.WhenAll(sweep.Members.Select(PokeAsync));
            var notNeeded = sweep.Members.Where((_, i) => answers[i] == false);
            if (_roster.EndSweep(sweep, notNeeded))
            {
                await WriteAsync();
            }
        }
        finally
        {
            _sweeping = false;
        }
    }

    /// <summary>True or false as the worker answers; null when the poke failed, which keeps the worker listed.</summary>
    private async Task<bool?> PokeAsync(Address worker)
    {
        try
        {
            return await GrainFactory.Worker(worker).PokeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPokeFailed(logger, worker, ex.Message);
            return null;
        }
    }

    /// <summary>One write carrying every change made before it starts; callers arriving meanwhile share the next one.</summary>
    private Task WriteAsync()
    {
        var next = _nextWrite ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writing)
        {
            _ = WriteLoopAsync();
        }

        return next.Task;
    }

    private async Task WriteLoopAsync()
    {
        _writing = true;
        try
        {
            while (_nextWrite is { } batch)
            {
                _nextWrite = null;
                try
                {
                    state.State.Members = [.. _roster.Members];
                    await state.WriteOrResetAsync(this);
                    batch.SetResult();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _failed = true;
                    batch.SetException(ex);
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }

    /// <summary>The shard's one reminder, registered once (registering again would push its next tick back).</summary>
    private async Task EnsureReminderAsync()
    {
        if (_reminderSure)
        {
            return;
        }

        if (await this.GetReminder(TickReminder) is null)
        {
            await this.RegisterOrUpdateReminder(TickReminder, TickPeriod, TickPeriod);
        }

        _reminderSure = true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Liveness roster: poking worker {Worker} failed, kept for the next tick: {Reason}")]
    private static partial void LogPokeFailed(ILogger logger, Address worker, string reason);
}
