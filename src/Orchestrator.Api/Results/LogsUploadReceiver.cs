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
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.BodyCase != Proto.ResultChunk.BodyOneofCase.Header)
        {
            throw Require.Invalid("the first chunk of a logs upload must carry the header");
        }

        var header = requestStream.Current.Header;
        var taskId = Require.Hash(header.TaskId, "header.task_id");
        var worker = Require.Address(header.WorkerAddress, "header.worker_address");
        var digest = Require.Hash(header.Sha256, "header.sha256");
        var contentType = Require.Text(header.ContentType, 128, "header.content_type");
        if (header.Size < 0)
        {
            throw Require.Invalid($"header.size: must not be negative, got {header.Size}");
        }

        if (header.Size > options.MaxLogsBytes)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"header.size: {header.Size} bytes of logs is more than this pool accepts ({options.MaxLogsBytes} bytes, Orchestrator:Api:MaxLogsBytes)"));
        }

        var signature = Require.Signature(header.Signature, "header.signature");
        if (!EthereumMessage.TryRecover(SignedMessages.Logs(taskId.ToArray(), digest.ToArray()), signature, out var signer) || signer != worker)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"header.signature does not recover to {worker.ToLowerHex()}: sign \"orchestrator.worker.v1/logs:\" ‖ task id ‖ sha256 (EIP-191)"));
        }

        limits.AdmitCall(worker);
        if (!await authorized.IsAuthorizedAsync(worker, cancellationToken))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"worker {worker.ToLowerHex()} is not an authorized worker of this pool (rule: only registered, authorized workers upload logs)"));
        }

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

        return new Proto.UploadResultReply
        {
            TaskId = taskId.ToString(),
            Size = addition.Result.Size,
            Sha256 = addition.Result.Sha256.ToString(),
            Location = addition.Result.Location,
            AlreadyStored = !addition.Created,
        };
    }
}
