using System.Collections.Immutable;
using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Attestation.Verification;

/// <summary>
/// The outcome of verifying evidence (a DCAP quote, or simulated evidence): either a TCB
/// <see cref="Status"/> (verification succeeded) or a <see cref="Failure"/> with a message.
/// Measurements are filled whenever the evidence could be parsed, but they are only
/// trustworthy when <see cref="IsVerified"/> is true.
/// </summary>
public sealed record QuoteVerificationResult
{
    /// <summary>True when every check passed and <see cref="Status"/> holds the TCB status.</summary>
    public bool IsVerified => Failure is null && Status is not null;

    /// <summary>The TCB status (Intel QVL's, after combining platform, TDX module and QE statuses).</summary>
    public TcbStatus? Status { get; init; }

    /// <summary>Why verification failed, or null.</summary>
    public VerificationFailureReason? Failure { get; init; }

    /// <summary>Human-readable detail of the failure.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>Advisory ids of the matched TCB level, then of the TDX module level and the QE level (deduplicated, in order).</summary>
    public ImmutableArray<string> AdvisoryIds { get; init; } = [];

    /// <summary>SGX or TDX, when known.</summary>
    public TeeType? TeeType { get; init; }

    /// <summary>Quote version (3, 4, 5), or 0 for simulated evidence / unparsable input.</summary>
    public int QuoteVersion { get; init; }

    /// <summary>The SGX enclave's report (MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN, ATTRIBUTES, REPORTDATA).</summary>
    public EnclaveReportBody? Enclave { get; init; }

    /// <summary>The TD report (MRTD, RTMR0..3, MRSEAM, MRSIGNERSEAM, TDATTRIBUTES, XFAM, REPORTDATA).</summary>
    public TdReportBody? TdReport { get; init; }

    /// <summary>REPORTDATA (64 bytes), or empty when the evidence could not be parsed.</summary>
    public ImmutableArray<byte> ReportData => Enclave?.ReportData ?? TdReport?.ReportData ?? [];

    /// <summary>True when the enclave / TD runs in debug mode (its memory is readable by the host). Policy decides.</summary>
    public bool IsDebug => Enclave?.IsDebug ?? TdReport?.IsDebug ?? false;

    /// <summary>True for simulated evidence (no hardware root of trust). Refused unless a policy allows simulation.</summary>
    public bool Simulated { get; init; }

    /// <summary>The instant the evidence was evaluated at.</summary>
    public DateTimeOffset EvaluatedAt { get; init; }

    /// <summary>FMSPC of the platform (hex, upper case, as in TCB info), when the PCK certificate was read.</summary>
    public string? Fmspc { get; init; }

    /// <summary>Status of the matched platform TCB level before combination with the QE / TDX module statuses.</summary>
    public TcbStatus? PlatformTcbStatus { get; init; }

    /// <summary>Status of the quoting enclave's ISV SVN level in the QE identity.</summary>
    public TcbStatus? QeTcbStatus { get; init; }

    /// <summary>Whether CRLs were checked (false when revocation checking was turned off).</summary>
    public bool RevocationChecked { get; init; }

    /// <summary>The version of the collateral the quote was judged with (null for simulated evidence, or when none was found).</summary>
    public Collateral.CollateralVersion? Collateral { get; init; }

    /// <summary>Creates a failed result.</summary>
    public static QuoteVerificationResult Failed(VerificationFailureReason reason, string message, DateTimeOffset at) =>
        new() { Failure = reason, FailureMessage = message, EvaluatedAt = at };
}
