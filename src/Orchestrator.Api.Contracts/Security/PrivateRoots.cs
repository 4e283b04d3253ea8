using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Api.Contracts.Security;

/// <summary>
/// Trust in a private CA (docker-compose's, a company PKI) instead of the system store, the one rule for
/// every client of a pool (the worker agent, the CLI) and for Orleans' cluster members.
/// </summary>
public static class PrivateRoots
{
    /// <summary>
    /// Whether a server's certificate is trusted: without <paramref name="roots"/>, only as the system store
    /// judged it; with them, the host name must still match and the chain must end at one of them.
    /// </summary>
    public static bool AcceptServer(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (roots is null)
        {
            return errors == SslPolicyErrors.None;
        }

        // A name mismatch or a missing certificate is never forgiven; only the chain is judged again.
        return certificate is not null && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == 0 && ChainsTo(certificate, presented, roots);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> (never the system
    /// store), with the intermediates the peer presented helping to build the path; no revocation check.
    /// </summary>
    public static bool ChainsTo(X509Certificate certificate, X509Chain? presented, X509Certificate2Collection roots)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(roots);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var element in presented?.ChainElements.Skip(1) ?? [])
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
