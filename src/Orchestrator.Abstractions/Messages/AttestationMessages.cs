using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Abstractions.Messages;

/// <summary>
/// The verdict on a worker's last evidence, as the worker grain stores it: whether it verified and bound
/// this session, when, and the measurements (lowercase hex) a policy judges.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.worker-attestation.v1")]
public sealed record WorkerAttestation
{
    /// <summary>True when the evidence verified completely and its REPORTDATA binds the session key and the challenge.</summary>
    [Id(0)] public bool Verified { get; init; }

    /// <summary>Why not, when not verified (a verifier failure or a binding mismatch, with detail).</summary>
    [Id(1)] public string? Failure { get; init; }

    /// <summary>SGX or TDX.</summary>
    [Id(2)] public TeeKind Tee { get; init; }

    /// <summary>Intel's TCB status string (e.g. "UpToDate"), when verified.</summary>
    [Id(3)] public string? TcbStatus { get; init; }

    /// <summary>Advisory ids of the TCB levels that matched.</summary>
    [Id(4)] public IReadOnlyList<string> AdvisoryIds { get; init; } = [];

    /// <summary>SGX MRENCLAVE.</summary>
    [Id(5)] public string? MrEnclave { get; init; }

    /// <summary>SGX MRSIGNER.</summary>
    [Id(6)] public string? MrSigner { get; init; }

    /// <summary>SGX ISV product id.</summary>
    [Id(7)] public int IsvProdId { get; init; }

    /// <summary>SGX ISV SVN.</summary>
    [Id(8)] public int IsvSvn { get; init; }

    /// <summary>TDX MRTD.</summary>
    [Id(9)] public string? MrTd { get; init; }

    /// <summary>TDX RTMR0..3 (empty for SGX).</summary>
    [Id(10)] public IReadOnlyList<string> Rtmrs { get; init; } = [];

    /// <summary>REPORTDATA.</summary>
    [Id(11)] public string ReportData { get; init; } = string.Empty;

    /// <summary>Debug enclave / TD.</summary>
    [Id(12)] public bool Debug { get; init; }

    /// <summary>Simulated evidence (no hardware root of trust).</summary>
    [Id(13)] public bool Simulated { get; init; }

    /// <summary>When the evidence was verified (freshness counts from here).</summary>
    [Id(14)] public DateTimeOffset VerifiedAt { get; init; }

    /// <summary>The enclave session public key the evidence binds (64 bytes X ‖ Y).</summary>
    [Id(15)] public byte[] SessionPublicKey { get; init; } = [];

    /// <summary>SHA-256 of the challenge the evidence answered (hex), so a replayed challenge is recognised.</summary>
    [Id(16)] public string ChallengeHash { get; init; } = string.Empty;

    /// <summary>FMSPC of the platform (DCAP only).</summary>
    [Id(17)] public string? Fmspc { get; init; }

    /// <summary>The collateral the verdict was made with (DCAP only): re-judged when the collateral refresher sees another.</summary>
    [Id(18)] public AttestationCollateral? Collateral { get; init; }

    /// <summary>Set when this verdict is the kept quote judged again (new collateral), not a new quote: when, and why the verdict changed.</summary>
    [Id(19)] public DateTimeOffset? ReviewedAt { get; init; }

    /// <summary>The identity a person reads in an audit line: MRENCLAVE (SGX) or MRTD (TDX), marked when simulated.</summary>
    public string Measurement => (Tee == TeeKind.Tdx ? $"mrtd:{MrTd}" : $"mrenclave:{MrEnclave}") + (Simulated ? " (simulated)" : string.Empty);
}

/// <summary>
/// Which collateral a verdict was made with, as stored and shown: the TCB info's format version, issue date and
/// evaluation data number, the QE identity's version and issue date, the CRLs' numbers, and a fingerprint of
/// the signed content (equal fingerprints: the same collateral).
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.attestation-collateral.v1")]
public sealed record AttestationCollateral(
    [property: Id(0)] int TcbInfoVersion,
    [property: Id(1)] DateTimeOffset TcbInfoIssueDate,
    [property: Id(2)] int TcbEvaluationDataNumber,
    [property: Id(3)] int QeIdentityVersion,
    [property: Id(4)] DateTimeOffset QeIdentityIssueDate,
    [property: Id(5)] string? RootCaCrlNumber,
    [property: Id(6)] string? PckCrlNumber,
    [property: Id(7)] string Fingerprint);

/// <summary>The answer to a re-attestation.</summary>
[GenerateSerializer, Immutable, Alias("orch.reattest-result.v1")]
public sealed record ReattestResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string Message,
    [property: Id(2)] WorkerAttestation? Attestation);

/// <summary>
/// What the secret service needs to know about a worker's enclave session to release a task's secrets:
/// its current session, the attested session key, the verdict, whether it holds the task's replicate
/// (running), and whether its pool allows simulated evidence.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.enclave-session.v1")]
public sealed record EnclaveSessionView(
    [property: Id(0)] bool Active,
    [property: Id(1)] string SessionId,
    [property: Id(2)] WorkerAttestation? Attestation,
    [property: Id(3)] Assignment? Held,
    [property: Id(4)] bool PoolAllowsSimulation);
