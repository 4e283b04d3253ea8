using System.Security.Cryptography;
using Grpc.Core;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Session;

/// <summary>What an upload achieved.</summary>
/// <param name="Size">Bytes stored.</param>
/// <param name="Location">Where the server stored it.</param>
/// <param name="Error">Why it failed (null on success).</param>
internal sealed record UploadOutcome(long Size, string Location, string? Error);

/// <summary>
/// Uploads a result archive with WorkerSession.UploadResult: a signed header (EIP-191 over
/// "orchestrator.worker.v1/upload:" ‖ taskId ‖ sha256), then 1 MiB chunks. Transient failures are
/// retried a few times; a refusal is reported, never thrown (the task's outcome does not depend on it).
/// </summary>
internal sealed class ResultUploader(WorkerSession.WorkerSessionClient client, WorkerIdentity identity)
{
    private const int ChunkSize = 1024 * 1024;
    private const int Attempts = 4;

    /// <summary>
    /// Uploads the file at <paramref name="archivePath"/> (the canonical archive, or its ciphertext when
    /// <paramref name="encryption"/> names how it was encrypted); <paramref name="resultDigest"/> is the
    /// plaintext's consensus digest, which the header carries beside the SHA-256 of the bytes sent.
    /// </summary>
    public Task<UploadOutcome> UploadAsync(Hash32 taskId, string archivePath, long maxBytes, string encryption, Hash32 resultDigest, CancellationToken cancellationToken)
        => SendAsync(taskId, archivePath, maxBytes, encryption, resultDigest.ToString(), logs: false, cancellationToken);

    /// <summary>Uploads the logs package at <paramref name="packagePath"/> (encrypted as <paramref name="encryption"/> says) with WorkerSession.UploadLogs.</summary>
    public Task<UploadOutcome> UploadLogsAsync(Hash32 taskId, string packagePath, string encryption, CancellationToken cancellationToken)
        => SendAsync(taskId, packagePath, 0, encryption, string.Empty, logs: true, cancellationToken);

    private async Task<UploadOutcome> SendAsync(Hash32 taskId, string archivePath, long maxBytes, string encryption, string resultDigest, bool logs, CancellationToken cancellationToken)
    {
        var size = new FileInfo(archivePath).Length;
        if (maxBytes > 0 && size > maxBytes)
        {
            return new UploadOutcome(0, string.Empty, $"the archive is {size} bytes, above the server's limit of {maxBytes}");
        }

        byte[] sha256;
        await using (var file = File.OpenRead(archivePath))
        {
            sha256 = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
        }

        var message = logs ? SignedMessages.Logs(taskId.ToArray(), sha256) : SignedMessages.Upload(taskId.ToArray(), sha256);
        var header = new UploadHeader
        {
            TaskId = taskId.ToString(),
            WorkerAddress = identity.Address.ToString(),
            Size = size,
            Sha256 = Hex.Encode(sha256),
            Signature = ProtoConvert.Bytes(identity.SignPersonal(message)),
            ContentType = encryption.Length == 0 ? "application/x-tar" : "application/octet-stream",
            Encryption = encryption,
            ResultDigest = resultDigest,
        };
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = logs ? client.UploadLogs(cancellationToken: cancellationToken) : client.UploadResult(cancellationToken: cancellationToken);
                await call.RequestStream.WriteAsync(new ResultChunk { Header = header }, cancellationToken).ConfigureAwait(false);
                await using (var file = File.OpenRead(archivePath))
                {
                    var buffer = new byte[ChunkSize];
                    int read;
                    while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        await call.RequestStream.WriteAsync(new ResultChunk { Data = ProtoConvert.Bytes(buffer.AsSpan(0, read)) }, cancellationToken).ConfigureAwait(false);
                    }
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                var reply = await call.ResponseAsync.ConfigureAwait(false);
                return new UploadOutcome(reply.Size, reply.Location, null);
            }
            catch (RpcException ex) when (attempt < Attempts && ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded or StatusCode.Unknown)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (RpcException ex)
            {
                return new UploadOutcome(0, string.Empty, $"{ex.StatusCode}: {ex.Status.Detail}");
            }
        }
    }
}
