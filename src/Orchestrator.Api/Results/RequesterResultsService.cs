using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using Proto = Orchestrator.Api.Results.V1;

namespace Orchestrator.Api.Results;

/// <summary>
/// orchestrator.results.v1.Results: requesters download their tasks' results and logs with an EIP-712
/// signature instead of the pool owner's token (<see cref="RequesterDownloads"/> decides), and register
/// once the key their deals' results are encrypted for (<see cref="BeneficiaryKeyRegistrations"/> decides).
/// </summary>
internal sealed class RequesterResultsService(RequesterDownloads downloads, BeneficiaryKeyRegistrations keys, IResultStore results, IOptions<ApiOptions> options) : Proto.Results.ResultsBase
{
    private const int ChunkBytes = 1024 * 1024;

    public override Task<Proto.SigningDomain> GetSigningDomain(Proto.GetSigningDomainRequest request, ServerCallContext context)
    {
        var (chainId, pool) = downloads.Domain;
        return Task.FromResult(new Proto.SigningDomain
        {
            Name = ResultRequest.DomainName,
            Version = ResultRequest.DomainVersion,
            ChainId = chainId,
            VerifyingContract = pool.ToLowerHex(),
        });
    }

    public override async Task GetResult(Proto.SignedRequest request, IServerStreamWriter<Proto.Chunk> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var stored = await downloads.AuthorizeResultAsync(
            Require.Hash(request.TaskId, "task_id"), request.Expiry, Require.Signature(request.Signature, "signature"), cancellationToken);
        await using var content = await results.OpenAsync(stored.TaskId, cancellationToken)
            ?? throw Require.NotFound($"task {stored.TaskId}'s result expired (rule: the pool keeps results for its retention period)");
        await StreamAsync(stored, isResult: true, content, responseStream, cancellationToken);
    }

    public override async Task GetLogs(Proto.SignedRequest request, IServerStreamWriter<Proto.Chunk> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        Address? worker = request.Worker.Length == 0 ? null : Require.Address(request.Worker, "worker");
        var logs = await downloads.AuthorizeLogsAsync(
            Require.Hash(request.TaskId, "task_id"), request.Expiry, Require.Signature(request.Signature, "signature"), worker, cancellationToken);
        foreach (var stored in logs)
        {
            // A sweep between the listing and here leaves that object out rather than failing the others.
            await using var content = await results.OpenLogsAsync(stored.TaskId, stored.Worker, cancellationToken);
            if (content is not null)
            {
                await StreamAsync(stored, isResult: false, content, responseStream, cancellationToken);
            }
        }
    }

    public override Task<Proto.BeneficiaryKey> SetBeneficiaryKey(Proto.SetBeneficiaryKeyRequest request, ServerCallContext context) => keys.SetAsync(request);

    public override Task<Proto.BeneficiaryKey> GetBeneficiaryKey(Proto.GetBeneficiaryKeyRequest request, ServerCallContext context) => keys.GetAsync(request);

    /// <summary>The wire form of a stored object's metadata.</summary>
    internal static Proto.ObjectInfo InfoOf(StoredResult stored, bool isResult) => new()
    {
        TaskId = stored.TaskId.ToString(),
        Worker = stored.Worker.ToLowerHex(),
        Size = stored.Size,
        Sha256 = stored.Sha256.ToString(),
        ResultDigest = isResult ? stored.ResultDigest.ToString() : string.Empty,
        Encryption = stored.Encryption,
        ContentType = stored.ContentType,
        StoredAt = stored.StoredAt == default ? null : Timestamp.FromDateTimeOffset(stored.StoredAt),
    };

    private async Task StreamAsync(StoredResult stored, bool isResult, Stream content, IServerStreamWriter<Proto.Chunk> responseStream, CancellationToken cancellationToken)
    {
        // The info message first (with no data), so a client knows what follows before the bytes.
        await responseStream.WriteAsync(new Proto.Chunk { Info = InfoOf(stored, isResult) }, cancellationToken);
        var buffer = new byte[Math.Min(ChunkBytes, options.Value.MaxMessageBytes / 2)];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await responseStream.WriteAsync(new Proto.Chunk { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        }
    }
}
