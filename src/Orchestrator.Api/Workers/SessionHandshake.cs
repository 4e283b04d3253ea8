using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Workers;

/// <summary>
/// The first two messages of a session: Hello (validated field by field), then Proof of the
/// challenge (EIP-191 signature by the worker's address; TEE evidence bound to the same challenge).
/// </summary>
internal static class SessionHandshake
{
    /// <summary>The largest attestation quote accepted.</summary>
    public const int MaxQuoteBytes = 64 * 1024;

    /// <summary>The largest enclave session key accepted.</summary>
    public const int MaxEnclaveKeyBytes = 1024;

    /// <summary>Checks a Hello; INVALID_ARGUMENT naming the field on any malformed value.</summary>
    public static (Address Worker, CapabilitiesMessage Capabilities, IReadOnlyList<Hash32> Running, string AgentVersion) ReadHello(Proto.Hello hello)
    {
        var worker = Require.Address(hello.WorkerAddress, "hello.worker_address");
        if (hello.Capabilities is not { } c)
        {
            throw Require.Invalid("hello.capabilities: is required");
        }

        Require.Defined(c.Tee, "hello.capabilities.tee");
        Require.Range(c.Cores, 1, 4096, "hello.capabilities.cores");
        Require.Range(c.MemoryMb, 1, 64 * 1024 * 1024, "hello.capabilities.memory_mb");
        Require.Range(c.Slots, 1, 1024, "hello.capabilities.slots");
        Require.Count(c.Categories, 0, 64, "hello.capabilities.categories");
        foreach (var category in c.Categories)
        {
            Require.Range(category, 0, 1_000_000, "hello.capabilities.categories[]");
        }

        var agent = Require.Text(hello.AgentVersion, 128, "hello.agent_version");
        Require.Count(hello.RunningTaskIds, 0, 1024, "hello.running_task_ids");
        var running = hello.RunningTaskIds.Select((id, i) => Require.Hash(id, $"hello.running_task_ids[{i}]")).ToList();
        return (worker, WorkerMapping.ToMessage(c), running, agent);
    }

    /// <summary>A fresh challenge, naming the pool identity the proof must bind.</summary>
    public static Proto.Challenge NewChallenge(DateTimeOffset now, ApiOptions options)
    {
        var binding = SessionBinding.Of(options);
        return new()
        {
            Nonce = Google.Protobuf.ByteString.CopyFrom(RandomNumberGenerator.GetBytes(SignedMessages.ChallengeSize)),
            ExpiresAt = Timestamp.FromDateTimeOffset(now + options.ChallengeTimeout),
            PoolAddress = binding.Pool.ToLowerHex(),
            ChainId = binding.ChainId,
        };
    }

    /// <summary>
    /// Checks a Proof: UNAUTHENTICATED unless the signature recovers to <paramref name="worker"/>;
    /// INVALID_ARGUMENT for evidence missing on a TEE worker, present on a standard one, or malformed.
    /// </summary>
    public static WorkerEvidence? VerifyProof(Proto.Proof proof, Address worker, CapabilitiesMessage capabilities, byte[] nonce, ApiOptions options)
    {
        var signature = Require.Signature(proof.Signature, "proof.signature");
        var binding = SessionBinding.Of(options);
        if (!EthereumMessage.TryRecover(binding.Message(nonce), signature, out var signer) || signer != worker)
        {
            var channel = binding.CertificateSha256.Length == 0 ? "32 zero bytes (plaintext)" : "the SHA-256 of this server's TLS certificate";
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"proof.signature does not recover to {worker.ToLowerHex()} for this pool: sign (EIP-191) \"orchestrator.worker.v1/session:\" ‖ pool {binding.Pool.ToLowerHex()} ‖ chain id {binding.ChainId} (uint256) ‖ {channel} ‖ the 32 challenge bytes with that address's key; a proof made for another pool or channel is refused"));
        }

        var tee = capabilities.Tee != Orchestrator.Domain.Deals.TeeKind.None;
        if (proof.Evidence is not { } evidence)
        {
            return tee ? throw Require.Invalid($"proof.evidence: is required for a {capabilities.Tee} worker") : null;
        }

        if (!tee)
        {
            throw Require.Invalid("proof.evidence: a worker without TEE (capabilities.tee = TEE_KIND_NONE) sends no evidence");
        }

        return ReadEvidence(evidence, "proof.evidence", nonce);
    }

    /// <summary>
    /// Checks a Reattestation (INVALID_ARGUMENT naming the field): a 32-byte nonce and evidence as in a Proof.
    /// Whether the nonce is the one the server asked for is the worker grain's call.
    /// </summary>
    public static WorkerEvidence ReadReattestation(Proto.Reattestation reattestation)
    {
        if (reattestation.Nonce.Length != SignedMessages.ChallengeSize)
        {
            throw Require.Invalid($"reattestation.nonce: must be the {SignedMessages.ChallengeSize} bytes of the ReattestRequest answered, got {reattestation.Nonce.Length}");
        }

        return reattestation.Evidence is { } evidence
            ? ReadEvidence(evidence, "reattestation.evidence", reattestation.Nonce.ToByteArray())
            : throw Require.Invalid("reattestation.evidence: is required");
    }

    private static WorkerEvidence ReadEvidence(Proto.Evidence evidence, string field, byte[] nonce)
    {
        Require.Defined(evidence.Format, field + ".format");
        if (evidence.Format == Proto.EvidenceFormat.Unspecified)
        {
            throw Require.Invalid($"{field}.format: is required (EVIDENCE_FORMAT_DCAP_QUOTE or EVIDENCE_FORMAT_SIMULATED)");
        }

        if (evidence.Quote.IsEmpty)
        {
            throw Require.Invalid($"{field}.quote: is required");
        }

        if (evidence.EnclavePublicKey.IsEmpty)
        {
            throw Require.Invalid($"{field}.enclave_public_key: is required");
        }

        Require.Bytes(evidence.Quote, MaxQuoteBytes, field + ".quote");
        Require.Bytes(evidence.EnclavePublicKey, MaxEnclaveKeyBytes, field + ".enclave_public_key");
        return new WorkerEvidence(WorkerMapping.ToMessage(evidence.Format), evidence.Quote.ToByteArray(), evidence.EnclavePublicKey.ToByteArray(), nonce);
    }
}
