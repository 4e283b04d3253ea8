using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Workers;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Workers;

/// <summary>The session's reader: what the worker sends (heartbeats, progress, contributions, reveals, give-backs), one at a time, and the answers.</summary>
public sealed partial class WorkerSession
{
    /// <summary>
    /// Handles one message from the worker. Not an async frame of its own (each case returns its handler's task): the
    /// session's read loop, which awaits it, lives as long as the session, and so would every frame it awaits through.
    /// </summary>
    private Task HandleAsync(Proto.WorkerMessage message, IWorkerSessionObserver observer, CancellationToken cancellationToken)
    {
        switch (message.BodyCase)
        {
            case Proto.WorkerMessage.BodyOneofCase.Heartbeat:
                return OnHeartbeatAsync(message.Heartbeat, observer);
            case Proto.WorkerMessage.BodyOneofCase.Progress:
                OnProgress(message.Progress);
                return Task.CompletedTask;
            case Proto.WorkerMessage.BodyOneofCase.Contribution:
                return OnContributionAsync(message.RequestId, message.Contribution, cancellationToken);
            case Proto.WorkerMessage.BodyOneofCase.TeeContribution:
                return OnTeeContributionAsync(message.RequestId, message.TeeContribution, cancellationToken);
            case Proto.WorkerMessage.BodyOneofCase.Reveal:
                return OnRevealAsync(message.RequestId, message.Reveal, cancellationToken);
            case Proto.WorkerMessage.BodyOneofCase.GiveBack:
                return OnGiveBackAsync(message.RequestId, message.GiveBack, cancellationToken);
            case Proto.WorkerMessage.BodyOneofCase.Reattestation:
                return OnReattestationAsync(message.Reattestation);
            case Proto.WorkerMessage.BodyOneofCase.Hello or Proto.WorkerMessage.BodyOneofCase.Proof:
                throw Require.Invalid($"{message.BodyCase} is sent once, at the start of a session");
            default:
                throw Require.Invalid("a worker message needs a body (heartbeat, progress, contribution, tee_contribution, reveal, give_back or reattestation)");
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
        var callbackData = c.Callback is { } payload ? Require.Bytes(payload.Data, CallbackData.MaxBytes, "tee_contribution.callback.data").ToByteArray() : null;
        var result = await _grain.ContributeAndFinalizeAsync(taskId, digest, signature.ToBytes65(), callbackData);
        await AnswerAsync(requestId, taskId, result, freesSlot: WorkerRun.EndsPart(result.Refusal), cancellationToken);
    }

    private async Task OnRevealAsync(ulong requestId, Proto.Reveal r, CancellationToken cancellationToken)
    {
        var taskId = Require.Hash(r.TaskId, "reveal.task_id");
        var digest = Require.Hash(r.ResultDigest, "reveal.result_digest");
        var callbackData = r.Callback is { } payload ? Require.Bytes(payload.Data, CallbackData.MaxBytes, "reveal.callback.data").ToByteArray() : null;
        var result = await _grain.RevealAsync(taskId, digest, callbackData);
        await AnswerAsync(requestId, taskId, result, freesSlot: false, cancellationToken);
    }

    private async Task OnGiveBackAsync(ulong requestId, Proto.GiveBack g, CancellationToken cancellationToken)
    {
        var taskId = Require.Hash(g.TaskId, "give_back.task_id");
        Require.Text(g.Reason, 256, "give_back.reason");
        var result = await _grain.GiveBackAsync(taskId, g.Reason);

        // A give-back frees no credit: the worker says in its next Heartbeat.free_slots whether it has
        // room (a draining worker gives back with none, and must not be handed new work meanwhile).
        Forget(taskId);
        await AnswerAsync(requestId, taskId, result, freesSlot: false, cancellationToken);
    }

    private async Task OnReattestationAsync(Proto.Reattestation r)
    {
        var evidence = SessionHandshake.ReadReattestation(r);
        var result = await _grain.ReattestAsync(_sessionId, evidence);
        LogReattested(_logger, _worker, result.Accepted, result.Message);
    }

    private async Task AnswerAsync(ulong requestId, Hash32 taskId, TaskCallResult result, bool freesSlot, CancellationToken cancellationToken)
    {
        if (freesSlot && Release(taskId))
        {
            Wake();
        }

        await SendAsync(new Proto.ServerMessage { CallResult = WorkerMapping.ToProto(result, requestId, taskId.ToString()) }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} re-attested: accepted {Accepted} {Reason}")]
    private static partial void LogReattested(ILogger logger, Address worker, bool accepted, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker} task {Task} at {Percent} %")]
    private static partial void LogProgress(ILogger logger, Address worker, Hash32 task, uint percent);
}
