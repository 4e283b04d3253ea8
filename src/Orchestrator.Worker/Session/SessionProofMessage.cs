using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Session;

/// <summary>
/// The message the agent signs to answer a challenge (<see cref="SignedMessages.Session"/>): the pool
/// from its own configuration when set (the challenge's otherwise), the TLS certificate from its own
/// handshake, never the server's word for either.
/// </summary>
internal static class SessionProofMessage
{
    /// <summary>The message, and a mismatch to report (null when the challenge names the configured pool).</summary>
    public static (byte[] Message, string? Mismatch) For(WorkerOptions options, Challenge challenge, byte[] serverCertificateSha256, bool tls)
    {
        Address.TryParse(challenge.PoolAddress, out var named, out _);
        var pool = options.PoolAddress is { Length: > 0 } configured ? Address.Parse(configured) : named;
        var chainId = options.ChainId is { } id ? (ulong)id : challenge.ChainId;
        string? mismatch = null;
        if (pool != named || chainId != challenge.ChainId)
        {
            mismatch = $"the server speaks for pool {challenge.PoolAddress} on chain {challenge.ChainId}, this worker joins pool {pool.ToLowerHex()} on chain {chainId} (OrchestratorWorker:PoolAddress, ChainId): its proof will be refused there";
        }

        // Over TLS a missing hash would sign the plaintext binding; the observer always saw the handshake first.
        var certificate = tls ? serverCertificateSha256 : [];
        return (SignedMessages.Session(pool.Bytes, chainId, certificate, challenge.Nonce.Span), mismatch);
    }
}
