using System.Security.Cryptography;
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
/// orchestrator.worker.v1.WorkerSession/UploadResult: checks the signed header, lets the task grain judge
/// the uploader and the digest (ResultUploadRules), then streams the verified bytes into the result
/// store, which keeps the first complete archive and never replaces it.
/// </summary>
internal sealed class ResultUploadReceiver(IGrainFactory grains, ApiOptions options, IResultStore results, AuthorizedWorkers authorized, WorkerRateLimits limits)
{
    /// <summary>Receives one upload: header, admission by the task grain, then the bytes into the store (once).</summary>
    public async Task<Proto.UploadResultReply> ReceiveAsync(IAsyncStreamReader<Proto.ResultChunk> requestStream, CancellationToken cancellationToken)
    {
        var (taskId, worker, digest, contentType, header) = await SignedUploadHeader.ReadAsync(requestStream, UploadKind(options), limits, authorized, cancellationToken);

        // The task grain is the one judge of who won and of the consensus digest.
        var admission = await grains.Task(taskId).AdmitUploadAsync(worker);
        if (admission.Refusal is { } refusal)
        {
            throw new RpcException(new Status(StatusOf(refusal), admission.Message));
        }

        var consensus = admission.ConsensusDigest ?? throw new InvalidOperationException($"task {taskId} admitted an upload without a consensus digest");
        CheckEncryption(taskId, header.Encryption, header.Size, admission.EncryptedForBeneficiary);
        if (admission.EncryptedForBeneficiary)
        {
            return await ReceiveEncryptedAsync(requestStream, taskId, worker, header, digest, consensus, contentType, cancellationToken);
        }

        var expected = new StoredResult(taskId, worker, header.Size, digest, contentType, string.Empty) { ResultDigest = consensus };
        var existing = await results.FindAsync(taskId, cancellationToken);
        var addition = existing is null
            ? await results.AddAsync(
                expected,
                (file, ct) => CopyCheckedAsync(requestStream, file, header.Size, digest, ct),
                (staged, _) =>
                {
                    VerifyResultDigest(taskId, consensus, digest, staged);
                    return Task.CompletedTask;
                },
                cancellationToken)
            : await AlreadyStoredAsync(requestStream, existing, expected, cancellationToken);
        if (!addition.Created && addition.Result.Sha256 != digest)
        {
            // Another winner's archive came first (with a deterministic-output-path, winners' archives may differ outside it).
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"task {taskId} already has its result ({addition.Result.Sha256}, uploaded by {addition.Result.Worker.ToLowerHex()}) (rule: a task's result is stored once and never replaced)"));
        }

        return Reply(addition);
    }

    private static SignedUploadHeader.Kind UploadKind(ApiOptions options) => new(
        "an upload", options.MaxResultBytes, "Orchestrator:Api:MaxResultBytes", (id, sha) => SignedMessages.Upload(id, sha), "\"orchestrator.worker.v1/upload:\" ‖ task id ‖ sha256", "results");

    /// <summary>The answer to an upload: what the store holds for the task (or the task and worker, for logs).</summary>
    internal static Proto.UploadResultReply Reply(ResultAddition addition) => new()
    {
        TaskId = addition.Result.TaskId.ToString(),
        Size = addition.Result.Size,
        Sha256 = addition.Result.Sha256.ToString(),
        Location = addition.Result.Location,
        AlreadyStored = !addition.Created,
    };

    /// <summary>The label must be the one format when the deal names a beneficiary key, and absent otherwise.</summary>
    internal static void CheckEncryption(Hash32 taskId, string label, long size, bool encryptedForBeneficiary)
    {
        if (encryptedForBeneficiary && label != ResultPrivacy.EciesLabel)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"task {taskId}'s deal names a beneficiary key, and header.encryption is \"{Truncate(label)}\" (rule: upload the archive encrypted for Assignment.beneficiary_key, labelled \"{ResultPrivacy.EciesLabel}\")"));
        }

        if (!encryptedForBeneficiary && label.Length > 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"task {taskId}'s deal names no beneficiary key, and header.encryption is \"{Truncate(label)}\" (rule: without a beneficiary key the canonical archive is uploaded in clear)"));
        }

        if (encryptedForBeneficiary && size < Ecies.Overhead)
        {
            throw Require.Invalid($"header.size: {size} bytes cannot be an ECIES envelope (at least {Ecies.Overhead} bytes)");
        }
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    /// <summary>
    /// An archive encrypted for the beneficiary: the server cannot read the plaintext, so it stores the
    /// verified ciphertext with the consensus digest as its result digest (the requester checks it after
    /// decrypting). Every winner's ciphertext of the same plaintext differs (fresh ephemeral key and
    /// nonce), so once one is stored, another winner's upload is answered already_stored, not refused.
    /// </summary>
    private async Task<Proto.UploadResultReply> ReceiveEncryptedAsync(
        IAsyncStreamReader<Proto.ResultChunk> requestStream, Hash32 taskId, Address worker, Proto.UploadHeader header, Hash32 digest, Hash32 consensus, string contentType, CancellationToken cancellationToken)
    {
        var expected = new StoredResult(taskId, worker, header.Size, digest, contentType, string.Empty)
        {
            ResultDigest = consensus,
            Encryption = ResultPrivacy.EciesLabel,
        };
        if (await results.FindAsync(taskId, cancellationToken) is { } existing)
        {
            // The bytes are still read and checked, so the reply answers a complete, intact upload.
            await CopyCheckedAsync(requestStream, Stream.Null, header.Size, digest, cancellationToken);
            return Reply(new ResultAddition(existing, Created: false));
        }

        var addition = await results.AddAsync(
            expected,
            (file, ct) => CopyCheckedAsync(requestStream, file, header.Size, digest, ct),
            (_, _) => Task.CompletedTask,
            cancellationToken);
        return Reply(addition);
    }

    /// <summary>Refuses the staged archive unless its result digest is the consensus digest; nothing is stored then.</summary>
    private static void VerifyResultDigest(Hash32 taskId, Hash32 consensus, Hash32 archiveSha256, Stream staged)
    {
        Hash32 resultDigest;
        try
        {
            // The plain case needs no second read: the bytes were already hashed on the way in.
            resultDigest = archiveSha256 == consensus ? archiveSha256 : ArchiveResultDigest.Compute(staged, consensus);
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"the archive's result digest cannot be computed ({ex.Message}) (rule: the stored result is the archive the consensus agreed on)"));
        }

        var refusal = ResultUploadRules.CheckArchive(taskId, consensus, resultDigest);
        if (refusal is not null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, refusal.Message));
        }
    }

    /// <summary>The gRPC status of a task grain's refusal.</summary>
    internal static StatusCode StatusOf(UploadRefusalCode code) => code switch
    {
        UploadRefusalCode.UnknownTask => StatusCode.NotFound,
        _ when code.IsPermission() => StatusCode.PermissionDenied,
        _ => StatusCode.FailedPrecondition,
    };

    /// <summary>
    /// The task already has its result: the upload is a no-op, answered only once its bytes proved to be
    /// that same archive (a retry after a lost reply, or a second winner), so the reply never vouches for bytes it did not see.
    /// </summary>
    private static async Task<ResultAddition> AlreadyStoredAsync(IAsyncStreamReader<Proto.ResultChunk> chunks, StoredResult existing, StoredResult expected, CancellationToken cancellationToken)
    {
        if (existing.Sha256 == expected.Sha256)
        {
            await CopyCheckedAsync(chunks, Stream.Null, expected.Size, expected.Sha256, cancellationToken);
        }

        return new ResultAddition(existing, Created: false);
    }

    /// <summary>Copies the data chunks that follow the header into <paramref name="file"/>, refusing a size or SHA-256 other than the header's.</summary>
    internal static async Task CopyCheckedAsync(IAsyncStreamReader<Proto.ResultChunk> chunks, Stream file, long size, Hash32 digest, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        while (await chunks.MoveNext(cancellationToken))
        {
            var chunk = chunks.Current;
            if (chunk.BodyCase != Proto.ResultChunk.BodyOneofCase.Data)
            {
                throw Require.Invalid("only the first chunk carries a header; the following carry data");
            }

            received += chunk.Data.Length;
            if (received > size)
            {
                throw Require.Invalid($"the upload is longer than header.size ({size} bytes)");
            }

            hash.AppendData(chunk.Data.Span);
            await file.WriteAsync(chunk.Data.Memory, cancellationToken);
        }

        if (received != size)
        {
            throw Require.Invalid($"the upload ended after {received} bytes; header.size says {size}");
        }

        var actual = new Hash32(hash.GetHashAndReset());
        if (actual != digest)
        {
            throw Require.Invalid($"the archive's SHA-256 is {actual}, not header.sha256 {digest}");
        }
    }
}
