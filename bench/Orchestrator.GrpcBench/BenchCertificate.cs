using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.GrpcBench;

/// <summary>A throwaway ECDSA P-256 server certificate for 127.0.0.1, as PEM files the silo loads.</summary>
internal sealed class BenchCertificate : IDisposable
{
    private readonly string _directory;

    private BenchCertificate(string directory, byte[] raw)
    {
        _directory = directory;
        Raw = raw;
        Sha256 = SHA256.HashData(raw);
    }

    public string CertificatePath => Path.Combine(_directory, "bench.pem");

    public string KeyPath => Path.Combine(_directory, "bench.key");

    /// <summary>The DER certificate (what the client pins).</summary>
    public byte[] Raw { get; }

    /// <summary>Its SHA-256, which a worker's session proof binds.</summary>
    public byte[] Sha256 { get; }

    public static BenchCertificate Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=grpc-bench", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var directory = Directory.CreateTempSubdirectory("grpc-bench-tls-").FullName;
        File.WriteAllText(Path.Combine(directory, "bench.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "bench.key"), key.ExportPkcs8PrivateKeyPem());
        return new BenchCertificate(directory, certificate.RawData);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
