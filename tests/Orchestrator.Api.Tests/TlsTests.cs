using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Tests.Infrastructure;

namespace Orchestrator.Api.Tests;

/// <summary>TLS by configuration: an https Url with a certificate file serves gRPC (HTTP/2) and JSON (HTTP/1.1) on one port.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private const string Token = "tls-owner-token-0123456789";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orch-tls-" + Guid.NewGuid().ToString("n"));
    private readonly int _port = LocalPorts.Free();
    private X509Certificate2 _certificate = null!;
    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = Path.Combine(_directory, "api.pfx");
        await File.WriteAllBytesAsync(pfx, _certificate.Export(X509ContentType.Pfx, "pfx-password"));
        _app = await ApiHost.StartSiloAsync(new Dictionary<string, string?>
        {
            ["Orchestrator:ClusterId"] = "api-tls-tests",
            ["Orchestrator:Api:Url"] = $"https://127.0.0.1:{_port}",
            ["Orchestrator:Api:CertificatePath"] = pfx,
            ["Orchestrator:Api:CertificatePassword"] = "pfx-password",
            ["Orchestrator:Api:AdminToken"] = Token,
            ["Orchestrator:Api:ResultDirectory"] = Path.Combine(_directory, "results"),
        });
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Grpc_and_json_share_the_tls_port_and_the_server_presents_the_configured_certificate()
    {
        X509Certificate2? presented = null;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : new X509Certificate2(certificate);
            return presented?.Thumbprint == _certificate.Thumbprint; // trust exactly the test's certificate
        };
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{_port}", new GrpcChannelOptions { HttpHandler = handler });
        var headers = new Metadata { { "authorization", "Bearer " + Token } };
        var policy = await new PoolAdmin.PoolAdminClient(channel).GetPolicyAsync(new GetPolicyRequest(), headers);
        Assert.True(policy.MaxReplicatesPerWorker > 0);
        Assert.Equal(_certificate.Thumbprint, presented?.Thumbprint);

        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == _certificate.Thumbprint } });
        using var json = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_port}/v1/policy") { Version = HttpVersion.Version11 };
        json.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var reply = await http.SendAsync(json);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.Contains("maxReplicatesPerWorker", await reply.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
