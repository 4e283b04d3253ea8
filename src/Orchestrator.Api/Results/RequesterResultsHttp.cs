using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;

namespace Orchestrator.Api.Results;

/// <summary>
/// The requester's downloads over plain HTTP, for clients without gRPC: GET /v1/tasks/{taskId}/result
/// and /logs?worker=0x…, signed with the X-Orchestrator-Signature and X-Orchestrator-Expiry headers
/// (the EIP-712 ResultRequest of orchestrator.results.v1). The body is the stored bytes as they are
/// (ciphertext when encrypted), streamed; what they are is in the X-Orchestrator-* response headers.
/// The result route is shared with the pool owner's transcoded PoolAdmin.DownloadResult: a request
/// carrying the signature header comes here (<see cref="SignedRequestMatcherPolicy"/>), any other goes there.
/// </summary>
internal static class RequesterResultsHttp
{
    public const string SignatureHeader = "X-Orchestrator-Signature";
    public const string ExpiryHeader = "X-Orchestrator-Expiry";

    public static IEndpointRouteBuilder MapRequesterResultsHttp(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/v1/tasks/{taskId}/result", GetResultAsync)
            .WithMetadata(SignedRequestMatcherPolicy.Marker)
            .Add(b => ((RouteEndpointBuilder)b).Order = -1); // ahead of the transcoded route, when the policy keeps it
        endpoints.MapGet("/v1/tasks/{taskId}/logs", GetLogsAsync);
        return endpoints;
    }

    private static async Task GetResultAsync(HttpContext http, string taskId, RequesterDownloads downloads, IResultStore results)
    {
        var cancellationToken = http.RequestAborted;
        try
        {
            var (task, expiry, signature) = ParseSigned(http, taskId);
            var stored = await downloads.AuthorizeResultAsync(task, expiry, signature, cancellationToken);
            await using var content = await results.OpenAsync(task, cancellationToken)
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"task {task}'s result expired (rule: the pool keeps results for its retention period)"));
            await WriteAsync(http, stored, content, isResult: true, cancellationToken);
        }
        catch (RpcException ex)
        {
            await RefuseAsync(http, ex);
        }
    }

    private static async Task GetLogsAsync(HttpContext http, string taskId, RequesterDownloads downloads, IResultStore results)
    {
        var cancellationToken = http.RequestAborted;
        try
        {
            var (task, expiry, signature) = ParseSigned(http, taskId);
            Address? worker = null;
            if (http.Request.Query["worker"].ToString() is { Length: > 0 } text)
            {
                worker = Address.TryParse(text, out var parsed, out var error) ? parsed : throw Invalid($"worker: {error}");
            }

            var logs = await downloads.AuthorizeLogsAsync(task, expiry, signature, worker, cancellationToken);

            // One object per response: the first uploader's (by address) unless ?worker= names another; the
            // others are listed so a client can ask for them.
            var stored = logs[0];
            http.Response.Headers["X-Orchestrator-Logs-Workers"] = string.Join(',', logs.Select(l => l.Worker.ToLowerHex()));
            await using var content = await results.OpenLogsAsync(task, stored.Worker, cancellationToken)
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"task {task}'s logs expired (rule: the pool keeps results and logs for its retention period)"));
            await WriteAsync(http, stored, content, isResult: false, cancellationToken);
        }
        catch (RpcException ex)
        {
            await RefuseAsync(http, ex);
        }
    }

    private static (Hash32 TaskId, ulong Expiry, Signature Signature) ParseSigned(HttpContext http, string taskId)
    {
        if (!Hash32.TryParse(taskId, out var task, out var taskError))
        {
            throw Invalid($"taskId: {taskError}");
        }

        var expiryText = http.Request.Headers[ExpiryHeader].ToString();
        if (!ulong.TryParse(expiryText, NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
        {
            throw Invalid($"{ExpiryHeader}: the request's expiry in decimal Unix seconds is required, got \"{(expiryText.Length > 24 ? expiryText[..24] + "…" : expiryText)}\"");
        }

        if (!Hex.TryDecode(http.Request.Headers[SignatureHeader].ToString(), out var bytes, out var hexError))
        {
            throw Invalid($"{SignatureHeader}: {hexError}");
        }

        return Signature.TryFromBytes65(bytes, out var signature, out var error)
            ? (task, expiry, signature!)
            : throw Invalid($"{SignatureHeader}: {error}");
    }

    private static async Task WriteAsync(HttpContext http, StoredResult stored, Stream content, bool isResult, CancellationToken cancellationToken)
    {
        var headers = http.Response.Headers;
        headers["X-Orchestrator-Task-Id"] = stored.TaskId.ToString();
        headers["X-Orchestrator-Worker"] = stored.Worker.ToLowerHex();
        headers["X-Orchestrator-Sha256"] = stored.Sha256.ToString();
        headers["X-Orchestrator-Encryption"] = stored.Encryption;
        if (isResult)
        {
            headers["X-Orchestrator-Result-Digest"] = stored.ResultDigest.ToString();
        }

        http.Response.ContentType = stored.ContentType.Length > 0 && stored.Encryption.Length == 0 ? stored.ContentType : "application/octet-stream";
        http.Response.ContentLength = stored.Size;
        await content.CopyToAsync(http.Response.Body, cancellationToken);
    }

    private static Task RefuseAsync(HttpContext http, RpcException ex)
    {
        http.Response.StatusCode = ex.StatusCode switch
        {
            StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.NotFound => StatusCodes.Status404NotFound,
            StatusCode.FailedPrecondition => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status500InternalServerError,
        };
        return http.Response.WriteAsJsonAsync(new RefusalBody((int)ex.StatusCode, ex.Status.Detail), RefusalJson.Default.RefusalBody, cancellationToken: http.RequestAborted);
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
