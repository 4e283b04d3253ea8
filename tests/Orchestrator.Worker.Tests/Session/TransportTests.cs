using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Orchestrator.Worker.Session;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>What the agent does on the wire besides the session: TLS with a private CA, input files over HTTP.</summary>
public sealed class TransportTests : IDisposable
{
    private readonly AgentHarness _agent = new();
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task The_agent_trusts_a_server_certificate_issued_by_its_configured_ca_and_nothing_else()
    {
        using var ca = Certificate("Orchestrator test CA", authority: true, issuer: null);
        using var server = Certificate("pool", authority: false, issuer: ca);
        var welcomed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            welcomed.TrySetResult();
            await s.HoldAsync();
        }, tls: server);
        var caFile = _dir.Write("ca.pem", ca.ExportCertificatePem());

        var run = _agent.RunAsync(_agent.Options(pool.Url, o => o.ServerCaCertificateFile = caFile));
        await welcomed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));

        // Another CA: the handshake never succeeds, the agent keeps retrying (and never says hello).
        using var other = Certificate("Some other CA", authority: true, issuer: null);
        var otherFile = _dir.Write("other.pem", other.ExportCertificatePem());
        using var stranger = new AgentHarness();
        var before = pool.TcpConnections;
        var refused = stranger.RunAsync(stranger.Options(pool.Url, o => o.ServerCaCertificateFile = otherFile));
        await Eventually.UntilAsync(
            "the agent to retry the untrusted server",
            () => refused.IsCompleted || pool.TcpConnections >= before + 2,
            TimeSpan.FromSeconds(60),
            () => $"{pool.TcpConnections - before} connections");
        Assert.False(refused.IsCompleted, "an untrusted server is retried, not fatal");
        Assert.Equal(1, pool.Connections);
        await stranger.StopAsync();
        Assert.Equal(0, await refused.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static X509Certificate2 Certificate(string name, bool authority, X509Certificate2? issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(authority, false, 0, true));
        if (authority)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }
        else
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        }

        var now = DateTimeOffset.UtcNow;
        if (issuer is null)
        {
            return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        }

        using var signed = request.Create(issuer, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        // Kestrel needs the private key with the certificate (and an exportable one on Linux).
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        _agent.Dispose();
        _dir.Dispose();
    }
}
