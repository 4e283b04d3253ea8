using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Orchestrator.Api.Security;

/// <summary>
/// Admits an admin call only with "authorization: Bearer &lt;owner token&gt;" (gRPC metadata, or the
/// HTTP header under JSON transcoding); anything else ends with UNAUTHENTICATED before the service runs.
/// </summary>
public sealed class AdminAuthInterceptor(AdminToken token) : Interceptor
{
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
        var header = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(header))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "admin calls need the header \"authorization: Bearer <pool owner token>\""));
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
}
