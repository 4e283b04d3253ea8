using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Security;

namespace Orchestrator.Api.Tests;

/// <summary>
/// On a pool that serves its API over TLS, the owner's token is refused on a plaintext connection from
/// another machine (the plain HttpUrl port), before the token is even compared; loopback and TLS pass.
/// </summary>
public sealed class AdminTokenTransportTests
{
    private const string Token = "transport-owner-token-0123456789";

    [Theory]
    [InlineData("https://0.0.0.0:5080", "http", "203.0.113.5", false)]
    [InlineData("https://0.0.0.0:5080", "http", "::ffff:203.0.113.5", false)]
    [InlineData("https://0.0.0.0:5080", "https", "203.0.113.5", true)]
    [InlineData("https://0.0.0.0:5080", "http", "127.0.0.1", true)]
    [InlineData("https://0.0.0.0:5080", "http", "::1", true)]
    [InlineData("http://127.0.0.1:5080", "http", "203.0.113.5", true)] // a plaintext pool (the dev config) has no TLS to insist on
    public async Task The_token_crosses_only_tls_or_loopback_when_the_pool_serves_tls(string apiUrl, string scheme, string remote, bool admitted)
    {
        var options = Options.Create(new ApiOptions { Enabled = true, Url = apiUrl, AdminToken = Token });
        var interceptor = new AdminAuthInterceptor(new AdminToken(options), options);
        var reached = false;
        Task<string> Call() => interceptor.UnaryServerHandler<string, string>("request", Context(scheme, remote), (_, _) =>
        {
            reached = true;
            return Task.FromResult("reply");
        });

        if (admitted)
        {
            Assert.Equal("reply", await Call());
            Assert.True(reached);
        }
        else
        {
            var refused = await Assert.ThrowsAsync<RpcException>(Call);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Contains("over TLS only", refused.Status.Detail, StringComparison.Ordinal);
            Assert.False(reached);
        }
    }

    private static ServerCallContext Context(string scheme, string remote)
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = scheme;
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        var context = new FakeCallContext(new Metadata { { "authorization", "Bearer " + Token } });
        context.UserState["__HttpContext"] = http; // where Grpc.AspNetCore's GetHttpContext looks outside its own context type
        return context;
    }

    private sealed class FakeCallContext(Metadata headers) : ServerCallContext
    {
        protected override string MethodCore => "/orchestrator.admin.v1.PoolAdmin/GetPolicy";
        protected override string HostCore => "pool";
        protected override string PeerCore => "ipv4:203.0.113.5:50000";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => headers;
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);
        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();
        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
