using System.Net;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;

namespace Orchestrator.Api.Security;

/// <summary>
/// Admits an admin call only with "authorization: Bearer &lt;owner token&gt;" (gRPC metadata, or the
/// HTTP header under JSON transcoding); anything else ends with UNAUTHENTICATED before the service runs.
/// On a pool that serves its API over TLS, the token is refused on a plaintext connection (the extra
/// HttpUrl port is plain HTTP for probes and metrics) unless it comes from this machine: a token sent in
/// clear once is the pool owner's for anyone on the path. A proxy in front speaks https to the silo.
/// </summary>
public sealed class AdminAuthInterceptor(AdminToken token, IOptions<ApiOptions> options) : Interceptor
{
    private readonly bool _tlsServed = ApiOptionsValidator.IsHttps(options.Value.Url);

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (_tlsServed && context.GetHttpContext() is { Request.IsHttps: false } http && !MayCarryTokenInClear(http.Connection.RemoteIpAddress))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "this pool takes the owner's token over TLS only: call its https Orchestrator:Api:Url (rule: no bearer token on a plaintext connection from another machine)"));
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(header))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "admin calls need the header \"authorization: Bearer <pool owner token>\"" + RequesterHint(context.Method)));
        }

        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the authorization header must use the Bearer scheme"));
        }

        if (!token.Matches(header[scheme.Length..].Trim()))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token is not the pool owner's"));
        }
    }

    /// <summary>
    /// A requester who reached the owner's download (the JSON route /v1/tasks/{id}/result without the
    /// signature headers lands here) is told the way that is theirs, rather than only that a token is missing.
    /// </summary>
    private static string RequesterHint(string method) => method.EndsWith("/DownloadResult", StringComparison.Ordinal)
        ? "; a requester or beneficiary downloads with its own signature instead: headers X-Orchestrator-Signature and X-Orchestrator-Expiry (EIP-712 ResultRequest, domain at GET /v1/results:domain), or orchestrator.results.v1.Results"
        : string.Empty;

    private static bool MayCarryTokenInClear(IPAddress? remote)
    {
        if (remote is null)
        {
            return false;
        }

        return IPAddress.IsLoopback(Domain.Networking.IpRanges.Plain(remote));
    }
}
