using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests.Infrastructure;

/// <summary>Result uploads and downloads over real gRPC, for the tests of who may store a task's result.</summary>
public static class ResultUploads
{
    public const int ChunkBytes = 64 * 1024;

    public static ResultChunk Header(TestWorker worker, string taskId, byte[] archive)
    {
        var sha = SHA256.HashData(archive);
        return new ResultChunk
        {
            Header = new UploadHeader
            {
                TaskId = taskId,
                WorkerAddress = worker.Address.ToLowerHex(),
                Size = archive.Length,
                Sha256 = new Hash32(sha).ToString(),
                Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Upload(Hash32.Parse(taskId).ToArray(), sha), worker.Key).ToBytes65()),
                ContentType = "application/x-tar",
            },
        };
    }

    public static async Task<UploadResultReply> UploadAsync(WorkerSession.WorkerSessionClient client, TestWorker worker, string taskId, byte[] archive, string encryption = "")
    {
        using var call = client.UploadResult();
        try
        {
            var header = Header(worker, taskId, archive);
            header.Header.Encryption = encryption;
            await call.RequestStream.WriteAsync(header);
            foreach (var chunk in archive.Chunk(ChunkBytes))
            {
                await call.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(chunk) });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // the server refused after the header: its status is the call's
        }

        return await call;
    }

    /// <summary>Uploads a logs package with WorkerSession.UploadLogs (its own signed prefix).</summary>
    public static async Task<UploadResultReply> UploadLogsAsync(WorkerSession.WorkerSessionClient client, TestWorker worker, string taskId, byte[] package, string encryption = "")
    {
        using var call = client.UploadLogs();
        var sha = SHA256.HashData(package);
        try
        {
            await call.RequestStream.WriteAsync(new ResultChunk
            {
                Header = new UploadHeader
                {
                    TaskId = taskId,
                    WorkerAddress = worker.Address.ToLowerHex(),
                    Size = package.Length,
                    Sha256 = new Hash32(sha).ToString(),
                    Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Logs(Hash32.Parse(taskId).ToArray(), sha), worker.Key).ToBytes65()),
                    ContentType = "application/x-tar",
                    Encryption = encryption,
                },
            });
            await call.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(package) });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // the server refused after the header: its status is the call's
        }

        return await call;
    }

    /// <summary>The stored archive's bytes, or null when the task has no result to serve.</summary>
    public static async Task<byte[]?> DownloadAsync(PoolAdmin.PoolAdminClient admin, string taskId)
    {
        try
        {
            using var download = admin.DownloadResult(new DownloadResultRequest { TaskId = taskId });
            using var bytes = new MemoryStream();
            await foreach (var chunk in download.ResponseStream.ReadAllAsync())
            {
                chunk.Data.WriteTo(bytes);
            }

            return bytes.ToArray();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public static Hash32 Sha256(byte[] bytes) => new(SHA256.HashData(bytes));
}
