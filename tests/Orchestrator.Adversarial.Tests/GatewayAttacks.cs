using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Adversarial.Tests;

/// <summary>
/// The Orleans gateway was an admin backdoor: any cluster client could authorize itself. With cluster TLS
/// a client must present a certificate issued by the cluster CA; without one (or with another CA's) it
/// cannot connect at all.
/// </summary>
public sealed class GatewayAttacks : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("orch-adv-tls-").FullName;
    private readonly int _gatewayPort = AttackedPool.FreePort();
    private readonly string _clusterId = "adv-tls-" + Guid.NewGuid().ToString("n")[..8];
    private WebApplication _silo = null!;

    public async Task InitializeAsync()
    {
        using var ca = Authority("Orchestrator cluster CA");
        Write("ca.pem", ca.ExportCertificatePem());
        IssueMember(ca, "silo");
        IssueMember(ca, "client");
        using var other = Authority("Some other CA");
        IssueMember(other, "stranger");

        var settings = new Dictionary<string, string?>
        {
            ["Orchestrator:ClusterId"] = _clusterId,
            ["Orchestrator:ServiceId"] = _clusterId,
            ["Orchestrator:SiloPort"] = AttackedPool.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Orchestrator:ClusterTls:CertificatePath"] = Path.Combine(_directory, "silo.pem"),
            ["Orchestrator:ClusterTls:KeyPath"] = Path.Combine(_directory, "silo.key"),
            ["Orchestrator:ClusterTls:CaPath"] = Path.Combine(_directory, "ca.pem"),
        };
        _silo = SiloWebHost.Build(EmbeddedCluster.CreateWebBuilder([], configure: b => b.Configuration.AddInMemoryCollection(settings)));
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.StopAsync();
        await _silo.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("stranger")]
    public async Task A_client_without_a_cluster_certificate_cannot_connect_and_changes_nothing(string? member)
    {
        var before = await _silo.Services.GetRequiredService<IGrainFactory>().Pool().ListWorkersAsync();
        // Orleans' client keeps retrying a gateway it cannot reach; what matters is that it never gets in.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var connected = false;
        try
        {
            using var client = await ClusterClientHost.StartAsync(ClientConfig(member), timeout.Token);
            connected = true;
            await client.Services.GetRequiredService<IClusterClient>().Pool().AuthorizeAsync([Domain.Crypto.Address.Zero]).WaitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            // refused (TLS handshake failures) or still retrying when the time ran out
        }

        Assert.False(connected, "a client without the cluster certificate must not connect");
        Assert.False(await _silo.Services.GetRequiredService<IGrainFactory>().Pool().IsAuthorizedAsync(Domain.Crypto.Address.Zero));
        Assert.Equal(before.Count, (await _silo.Services.GetRequiredService<IGrainFactory>().Pool().ListWorkersAsync()).Count);
    }

    [Fact]
    public async Task A_client_with_the_cluster_certificate_connects()
    {
        using var client = await ClusterClientHost.StartAsync(ClientConfig("client"), CancellationToken.None);
        Assert.NotNull(await client.Services.GetRequiredService<IClusterClient>().Pool().GetPolicyAsync());
        await client.StopAsync();
    }

    private string ClientConfig(string? member)
    {
        var path = Path.Combine(_directory, $"client-{member ?? "none"}.json");
        object tls = member is null ? new { } : new
        {
            CertificatePath = Path.Combine(_directory, member + ".pem"),
            KeyPath = Path.Combine(_directory, member + ".key"),
            CaPath = Path.Combine(_directory, "ca.pem"),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(new { Orchestrator = new { ClusterId = _clusterId, ServiceId = _clusterId, GatewayPort = _gatewayPort, ClusterTls = tls } }));
        return path;
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
    }

    private void IssueMember(X509Certificate2 ca, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        // Within the CA's validity: a member's notAfter past its issuer's is refused by CertificateRequest.Create.
        using var issued = request.Create(ca, ca.NotBefore.ToUniversalTime(), ca.NotAfter.ToUniversalTime().AddHours(-1), RandomNumberGenerator.GetBytes(12));
        Write(name + ".pem", issued.ExportCertificatePem());
        Write(name + ".key", key.ExportPkcs8PrivateKeyPem());
    }

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(_directory, name), text);
}
