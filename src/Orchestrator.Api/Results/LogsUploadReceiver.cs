using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Results;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Results;

/// <summary>
/// orchestrator.worker.v1.WorkerSession/UploadLogs: the app's output for the requester, from any worker
/// that held a replicate of the task (LogsUploadRules, asked of the task grain after the signature and
/// the worker's authorization), encrypted like the result when the deal names a beneficiary key, and
/// stored once per (task, worker) with <see cref="IResultStore.AddLogsAsync"/>.
/// </summary>
internal sealed class LogsUploadReceiver(IGrainFactory grains, ApiOptions options, IResultStore results, AuthorizedWorkers authorized, WorkerRateLimits limits)
{
    public async Task<Proto.UploadResultReply> ReceiveAsync(IAsyncStreamReader<Proto.ResultChunk> requestStream, CancellationToken cancellationToken)
    {
        var (taskId, worker, digest, contentType, header) = await SignedUploadHeader.ReadAsync(requestStream, LogsKind(options), limits, authorized, cancellationToken);
        var admission = await grains.Task(taskId).AdmitLogsAsync(worker);
        if (admission.Refusal is { } refusal)
        {
            throw new RpcException(new Status(ResultUploadReceiver.StatusOf(refusal), admission.Message));
        }

        ResultUploadReceiver.CheckEncryption(taskId, header.Encryption, header.Size, admission.EncryptedForBeneficiary);
        var expected = new StoredResult(taskId, worker, header.Size, digest, contentType, string.Empty)
        {
            Encryption = admission.EncryptedForBeneficiary ? ResultPrivacy.EciesLabel : string.Empty,
        };
        ResultAddition addition;
        if ((await results.ListLogsAsync(taskId, cancellationToken)).FirstOrDefault(l => l.Worker == worker) is { } existing)
        {
            // This worker's first logs stay; the repeat's bytes are still read and checked before the answer.
            await ResultUploadReceiver.CopyCheckedAsync(requestStream, Stream.Null, header.Size, digest, cancellationToken);
            addition = new ResultAddition(existing, Created: false);
        }
        else
        {
            addition = await results.AddLogsAsync(
                expected,
                (file, ct) => ResultUploadReceiver.CopyCheckedAsync(requestStream, file, header.Size, digest, ct),
                cancellationToken);
        }

        return ResultUploadReceiver.Reply(addition);
    }

    private static SignedUploadHeader.Kind LogsKind(ApiOptions options) => new(
        "a logs upload", options.MaxLogsBytes, "Orchestrator:Api:MaxLogsBytes", (id, sha) => SignedMessages.Logs(id, sha), "\"orchestrator.worker.v1/logs:\" ‖ task id ‖ sha256", "logs");
}
