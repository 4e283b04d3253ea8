using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Results;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Workers;

/// <summary>orchestrator.worker.v1.WorkerSession: worker sessions and result uploads.</summary>
public sealed class WorkerSessionService(
    IGrainFactory grains,
    IOptions<ApiOptions> options,
    TimeProvider time,
    SessionRegistry registry,
    IResultStore results,
    AuthorizedWorkers authorized,
    WorkerRateLimits limits,
    IAppImages images,
    ILogger<WorkerSession> logger) : Proto.WorkerSession.WorkerSessionBase
{
    /// <inheritdoc />
    /// <remarks>Not an async frame of its own: a held session keeps every frame it awaits through for its whole life.</remarks>
    public override Task Connect(IAsyncStreamReader<Proto.WorkerMessage> requestStream, IServerStreamWriter<Proto.ServerMessage> responseStream, ServerCallContext context)
        => new WorkerSession(grains, options.Value, time, limits, images, logger, requestStream, responseStream).RunAsync(registry, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Proto.UploadResultReply> UploadResult(IAsyncStreamReader<Proto.ResultChunk> requestStream, ServerCallContext context)
        => new ResultUploadReceiver(grains, options.Value, results, authorized, limits).ReceiveAsync(requestStream, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Proto.UploadResultReply> UploadLogs(IAsyncStreamReader<Proto.ResultChunk> requestStream, ServerCallContext context)
        => new LogsUploadReceiver(grains, options.Value, results, authorized, limits).ReceiveAsync(requestStream, context.CancellationToken);
}
