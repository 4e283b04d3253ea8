using Grpc.Core;
using Orchestrator.Api.Validation;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Results;

/// <summary>
/// The first message of a worker's upload stream (a result or its logs), read and checked before any
/// grain activates: well-formed fields, a size within the pool's cap, a signature by the named worker
/// over its kind's message, the worker's rate limit, and the pool's authorization of that worker.
/// </summary>
/// <param name="TaskId">The task.</param>
/// <param name="Worker">The uploading worker (the signer).</param>
/// <param name="Sha256">SHA-256 of the bytes that follow.</param>
/// <param name="ContentType">Media type as uploaded (may be empty).</param>
/// <param name="Header">The header as received (size, encryption label).</param>
internal sealed record SignedUploadHeader(Hash32 TaskId, Address Worker, Hash32 Sha256, string ContentType, Proto.UploadHeader Header)
{
    /// <summary>What differs between the upload kinds: the cap, the signed message and the words of the errors.</summary>
    /// <param name="What">"an upload" or "a logs upload", for the first-chunk error.</param>
    /// <param name="MaxBytes">The largest size accepted.</param>
    /// <param name="CapSetting">Names the cap in the refusal.</param>
    /// <param name="Message">The signed message for a task id and digest.</param>
    /// <param name="MessageDescription">How the refusal describes the message to sign.</param>
    /// <param name="Uploads">"results" or "logs", in the authorization refusal.</param>
    public sealed record Kind(string What, long MaxBytes, string CapSetting, Func<byte[], byte[], byte[]> Message, string MessageDescription, string Uploads);

    /// <summary>Reads the header chunk and admits it, or throws the RpcException that names the rule.</summary>
    public static async Task<SignedUploadHeader> ReadAsync(
        IAsyncStreamReader<Proto.ResultChunk> requestStream, Kind kind, WorkerRateLimits limits, AuthorizedWorkers authorized, CancellationToken cancellationToken)
    {
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.BodyCase != Proto.ResultChunk.BodyOneofCase.Header)
        {
            throw Require.Invalid($"the first chunk of {kind.What} must carry the header");
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

        if (header.Size > kind.MaxBytes)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"header.size: {header.Size} bytes is more than this pool accepts ({kind.MaxBytes} bytes, {kind.CapSetting})"));
        }

        var signature = Require.Signature(header.Signature, "header.signature");
        if (!EthereumMessage.TryRecover(kind.Message(taskId.ToArray(), digest.ToArray()), signature, out var signer) || signer != worker)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"header.signature does not recover to {worker.ToLowerHex()}: sign {kind.MessageDescription} (EIP-191)"));
        }

        limits.AdmitCall(worker);
        if (!await authorized.IsAuthorizedAsync(worker, cancellationToken))
        {
            // Refused before the task grain activates: a stranger's throwaway key costs no activation.
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"worker {worker.ToLowerHex()} is not an authorized worker of this pool (rule: only registered, authorized workers upload {kind.Uploads})"));
        }

        return new SignedUploadHeader(taskId, worker, digest, contentType, header);
    }
}
