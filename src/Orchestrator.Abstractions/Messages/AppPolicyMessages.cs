using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Abstractions.Messages;

/// <summary>An accepted SGX signer: MRSIGNER (hex), ISV product id, and the lowest acceptable ISV SVN.</summary>
[GenerateSerializer, Immutable, Alias("orch.sgx-signer.v1")]
public sealed record SgxSigner(
    [property: Id(0)] string MrSigner,
    [property: Id(1)] int IsvProdId,
    [property: Id(2)] int MinIsvSvn);

/// <summary>An accepted TDX measurement set: MRTD and RTMRs (a null RTMR accepts any value).</summary>
[GenerateSerializer, Immutable, Alias("orch.tdx-measurement.v1")]
public sealed record TdxMeasurement(
    [property: Id(0)] string MrTd,
    [property: Id(1)] string? Rtmr0 = null,
    [property: Id(2)] string? Rtmr1 = null,
    [property: Id(3)] string? Rtmr2 = null,
    [property: Id(4)] string? Rtmr3 = null);

/// <summary>An accepted TCB status (Intel's string), optionally only with the named advisory ids (null: any advisories).</summary>
[GenerateSerializer, Immutable, Alias("orch.tcb-status-rule.v1")]
public sealed record TcbStatusAllowance(
    [property: Id(0)] string Status,
    [property: Id(1)] IReadOnlyList<string>? AllowedAdvisoryIds = null);

/// <summary>
/// An app's attestation policy as its owner registers it through the admin API: the TEE kind, the
/// accepted measurements, the accepted TCB statuses, the maximum evidence age, and whether debug or
/// simulated evidence is acceptable (default neither). A TEE task of the app goes only to workers
/// whose last verified evidence satisfies it, and the secret service releases the app's task secrets
/// only to such enclaves.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.app-attestation-policy.v1")]
public sealed record AppAttestationPolicy
{
    /// <summary>The app (registry address).</summary>
    [Id(0)] public required Address App { get; init; }

    /// <summary>SGX or TDX.</summary>
    [Id(1)] public required TeeKind Tee { get; init; }

    /// <summary>SGX: accepted MRENCLAVE values (hex).</summary>
    [Id(2)] public IReadOnlyList<string> MrEnclaves { get; init; } = [];

    /// <summary>SGX: accepted signers (MRSIGNER + product id + minimum SVN).</summary>
    [Id(3)] public IReadOnlyList<SgxSigner> Signers { get; init; } = [];

    /// <summary>TDX: accepted MRTD/RTMR sets.</summary>
    [Id(4)] public IReadOnlyList<TdxMeasurement> TdxMeasurements { get; init; } = [];

    /// <summary>Accepted TCB statuses; empty means only "UpToDate". "Revoked" is never accepted.</summary>
    [Id(5)] public IReadOnlyList<TcbStatusAllowance> AcceptedTcbStatuses { get; init; } = [];

    /// <summary>How long after its verification evidence still counts; zero means the silo's default.</summary>
    [Id(6)] public TimeSpan MaxEvidenceAge { get; init; }

    /// <summary>Accept debug enclaves / TDs.</summary>
    [Id(7)] public bool AllowDebug { get; init; }

    /// <summary>Accept simulated evidence (still only where the pool allows simulation).</summary>
    [Id(8)] public bool AllowSimulated { get; init; }

    /// <summary>Incremented by every change (set by the registry).</summary>
    [Id(9)] public int Version { get; init; }

    /// <summary>When it was last changed (set by the registry).</summary>
    [Id(10)] public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The answer to a policy change: accepted, or the problems with it.</summary>
[GenerateSerializer, Immutable, Alias("orch.app-policy-result.v1")]
public sealed record AppPolicyResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] IReadOnlyList<string> Errors,
    [property: Id(2)] AppAttestationPolicy? Policy);
