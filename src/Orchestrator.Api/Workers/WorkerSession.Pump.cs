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

/// <summary>The session's pump: asks the worker grain for commands when there is reason to, and sends them; the slot ledger they change.</summary>
public sealed partial class WorkerSession
{
    /// <summary>
    /// The pump, run beside the reader: when it stops (returning or failing) it tells the session, which stops the reader.
    /// With no free slot and nothing signalled it parks instead of waiting (<see cref="Park"/>): a busy held session then
    /// keeps no pump frame at all, and the next <see cref="Wake"/> starts the loop again.
    /// </summary>
    private async Task PumpLoopAsync(CancellationToken cancellationToken)
    {
        Exception? fault = null;
        var parked = false;
        try
        {
            // Look at once (reveals owed from an earlier session, work waiting); a session that finds nothing
            // then waits the full idle interval. The short doubling ladder starts only after a change that
            // makes work likely (a freed slot, a signal, work just found), so a thousand workers joining an
            // idle pool do not sweep the dispatch shards ten times a second each.
            var backoff = _options.IdlePollInterval;
            var delay = TimeSpan.Zero;
            while (!cancellationToken.IsCancellationRequested)
            {
                // Signals that arrived while the pump was busy collapse into this one look (a zero delay takes them too).
                var signaled = await _wake.WaitAsync(delay) || delay == TimeSpan.Zero;
                cancellationToken.ThrowIfCancellationRequested();
                if (_wake.IsClosed)
                {
                    return; // the session is ending: its teardown closed the signal
                }

                // Loss is the worker grain's call alone (it signals Lost); a silent worker is not polled for, and
                // its stream ends at the idle timeout (the registry's sweep).
                var silent = _time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastHeartbeatTicks), TimeSpan.Zero);
                var free = FreeSlots();
                if (!signaled && (free == 0 || silent > _options.HeartbeatInterval * 2))
                {
                    // Nothing to ask for: with no free slot only a signal can change that (a heartbeat that frees
                    // slots, a freed slot, the grain's signal all wake the pump), so a busy session waits with no
                    // timer at all, where a timed wait was a timer and a wake-up every interval per held session.
                    // A worker that looks stalled is looked at again after an interval.
                    if (free == 0 && Park())
                    {
                        parked = true;
                        return;
                    }

                    delay = free == 0 ? Timeout.InfiniteTimeSpan : _options.IdlePollInterval;
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

                if (await PushAllAsync(poll.Commands, cancellationToken) > 0)
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            fault = ex;
            throw;
        }
        finally
        {
            if (!parked)
            {
                Finished(fault);
            }
        }
    }

    /// <summary>
    /// Parks the pump: true when the caller is to return (parked, or a wake already started a new loop); false when a
    /// signal came between its look and the parking and the caller is to take it (the loop goes on). Exactly one loop
    /// runs at a time: a wake and a parking race on <see cref="_parked"/>, and each checks the other's write after its own.
    /// </summary>
    private bool Park()
    {
        var current = _pump;
        _pump = Task.CompletedTask; // not this loop's task: a completed frame kept by reference would cost what parking saves
        Interlocked.Exchange(ref _parked, 1);
        if (!_wake.IsSet || _wake.IsClosed)
        {
            return true;
        }

        if (Interlocked.CompareExchange(ref _parked, 0, 1) == 1)
        {
            _pump = current; // taken back before any wake saw it parked
            return false;
        }

        return true; // a wake started the next loop already
    }

    /// <summary>Sends a poll's commands in order; how many were new assignments.</summary>
    private async Task<int> PushAllAsync(IReadOnlyList<WorkerCommand> commands, CancellationToken cancellationToken)
    {
        var assigned = 0;
        foreach (var command in commands)
        {
            assigned += await PushAsync(command, cancellationToken) ? 1 : 0;
        }

        return assigned;
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

                var image = await _images.ImageForAsync(assign.Assignment.DealId, assign.Assignment.App, cancellationToken);
                await SendAsync(new Proto.ServerMessage { Assignment = WorkerMapping.ToProto(assign, resumed: false, _options.AppUris, image) }, cancellationToken);
                return true;
            case ReattestCommand:
                await SendAsync(ToMessage(command), cancellationToken);
                return false;
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
        ReattestCommand reattest => new Proto.ServerMessage { ReattestRequest = new Proto.ReattestRequest { Nonce = Google.Protobuf.ByteString.CopyFrom(reattest.Challenge), ExpiresAt = Timestamp.FromDateTimeOffset(reattest.Deadline) } },
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

    /// <summary>
    /// The replicate is no longer running here; its slot counts again only when a heartbeat says so, or at
    /// once when the credit the last heartbeat gave was held back only by this replicate (then the pump,
    /// which waits for a signal while nothing is free, is woken).
    /// </summary>
    private void Forget(Hash32 taskId)
    {
        lock (_running)
        {
            _running.Remove(taskId);
        }

        if (FreeSlots() > 0)
        {
            Wake();
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
}
