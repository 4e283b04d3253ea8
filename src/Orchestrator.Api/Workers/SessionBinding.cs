using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Workers;

/// <summary>
/// What a worker's session proof is bound to on this server: the pool's address and chain id, and
/// the SHA-256 of the TLS certificate workers see (zero bytes when the gRPC endpoint is plain http).
/// A proof signed for another pool or through another TLS channel does not verify here.
/// </summary>
internal sealed class SessionBinding
{
    private static readonly ConditionalWeakTable<ApiOptions, SessionBinding> Cache = [];

    private SessionBinding(Address pool, ulong chainId, byte[] certificateSha256)
    {
        Pool = pool;
        ChainId = chainId;
        CertificateSha256 = certificateSha256;
    }

    public Address Pool { get; }

    public ulong ChainId { get; }

    /// <summary>SHA-256 of the DER certificate workers see; empty over plaintext.</summary>
    public byte[] CertificateSha256 { get; }

    /// <summary>The binding of a (validated) configuration, computed once per options instance.</summary>
    public static SessionBinding Of(ApiOptions options) => Cache.GetValue(options, Create);

    /// <summary>The message this server expects the worker to have signed for <paramref name="nonce"/>.</summary>
    public byte[] Message(ReadOnlySpan<byte> nonce) => SignedMessages.Session(Pool.Bytes, ChainId, CertificateSha256, nonce);

    private static SessionBinding Create(ApiOptions options)
    {
        var pool = options.PoolAddress is { Length: > 0 } text ? Address.Parse(text) : Address.Zero;
        var chainId = (ulong)Math.Max(0, options.ChainId ?? 0);
        byte[] certificate = [];
        if (options.BoundCertificatePath is { Length: > 0 } bound)
        {
            using var seen = X509CertificateLoader.LoadCertificateFromFile(bound);
            certificate = SHA256.HashData(seen.RawData);
        }
        else if (ApiOptionsValidator.IsHttps(options.Url))
        {
            using var served = KestrelEndpoints.LoadCertificate(options);
            certificate = SHA256.HashData(served.RawData);
        }

        return new SessionBinding(pool, chainId, certificate);
    }
}
