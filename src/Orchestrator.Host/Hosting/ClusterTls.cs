using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Orchestrator.Host.Hosting;

/// <summary>
/// Mutual TLS for Orleans' own connections (silo to silo, client to gateway): a member presents its cluster
/// certificate and accepts a peer only if the peer's certificate chains to the cluster CA. Host names are
/// not checked (silos are addressed by pod IP); the CA is the whole trust, so it must sign nothing else.
/// </summary>
public static class ClusterTls
{
    /// <summary>Errors of the section, each naming its key (empty when usable or off).</summary>
    public static List<string> Check(ClusterTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!options.Enabled)
        {
            return errors;
        }

        if (!File.Exists(options.CertificatePath)) errors.Add($"Orchestrator:ClusterTls:CertificatePath {options.CertificatePath} does not exist");
        if (options.KeyPath is { Length: > 0 } key && !File.Exists(key)) errors.Add($"Orchestrator:ClusterTls:KeyPath {key} does not exist");
        if (string.IsNullOrWhiteSpace(options.CaPath)) errors.Add("Orchestrator:ClusterTls:CaPath is required with a cluster certificate (peers must chain to the cluster CA)");
        else if (!File.Exists(options.CaPath)) errors.Add($"Orchestrator:ClusterTls:CaPath {options.CaPath} does not exist");
        return errors;
    }

    /// <summary>Turns on mutual TLS for a silo.</summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, ClusterTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled ? silo.UseTls(Load(options), o => Configure(o, options)) : silo;
    }

    /// <summary>Turns on mutual TLS for a cluster client.</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled ? client.UseTls(Load(options), o => Configure(o, options)) : client;
    }

    private static void Configure(TlsOptions tls, ClusterTlsOptions options)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(options.CaPath!);
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (certificate, _, errors) => ChainsTo(certificate, errors, authorities);
    }

    private static bool ChainsTo(X509Certificate2? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        return Orchestrator.Api.Contracts.Security.PrivateRoots.ChainsTo(certificate, null, authorities);
    }

    private static X509Certificate2 Load(ClusterTlsOptions options)
    {
        var path = options.CertificatePath!;
        return options.KeyPath is { Length: > 0 } key
            ? X509Certificate2.CreateFromPemFile(path, key)
            : X509CertificateLoader.LoadPkcs12FromFile(path, options.Password);
    }
}
