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

/// <summary>The session's stream: serialized writes, posts from outside the loops, the first reads with their timeout, and how errors end a session.</summary>
public sealed partial class WorkerSession
{
    private async Task SendAsync(Proto.ServerMessage message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _output.WriteAsync(message, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends from outside the session's loops (a grain signal); a stream that just closed drops it.</summary>
    private async Task PostAsync(Proto.ServerMessage message)
    {
        try
        {
            await SendAsync(message, CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException or RpcException)
        {
            LogPostDropped(_logger, _worker, message.BodyCase.ToString(), ex.Message);
        }
    }

    private async Task<Proto.WorkerMessage> ReadFirstAsync(CancellationToken cancellationToken, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ChallengeTimeout);
        try
        {
            if (!await _input.MoveNext(timeout.Token))
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, $"the stream ended before the worker's {what}"));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"no {what} within {_options.ChallengeTimeout.TotalSeconds:0.#} s"));
        }

        return _input.Current;
    }

    private static async Task QuietAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // the session is ending; its status was decided by whatever ended first
        }
    }

    private static RpcException Translate(Exception ex) => ex switch
    {
        RpcException rpc => rpc,
        OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "the session was cancelled")),
        _ => new RpcException(new Status(StatusCode.Unavailable, $"the cluster could not serve this session ({ex.GetType().Name}: {ex.Message}); reconnect to resume")),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Worker}: {Message} not sent, the stream closed ({Reason})")]
    private static partial void LogPostDropped(ILogger logger, Address worker, string message, string reason);
}
