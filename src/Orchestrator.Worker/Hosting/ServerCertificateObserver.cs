using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Worker.Hosting;

/// <summary>
/// The SHA-256 of the TLS certificate the server presented on the agent's connection, as this agent's
/// TLS client saw it. The session proof binds it, so a proof given to a man in the middle (who must
/// present its own certificate) is worthless at the real server.
/// </summary>
public sealed class ServerCertificateObserver
{
    private volatile byte[] _sha256 = [];

    /// <summary>The last accepted server certificate's SHA-256 (empty before any TLS handshake, and over plaintext).</summary>
    public byte[] Sha256 => _sha256;

    /// <summary>Records a certificate the TLS client accepted.</summary>
    public void Accepted(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        _sha256 = SHA256.HashData(certificate.GetRawCertData());
    }
}
