using System.Collections.Immutable;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Policy;

/// <summary>An accepted SGX signer: MRSIGNER (hex), ISV product id, and the lowest acceptable ISV SVN.</summary>
/// <param name="MrSigner">MRSIGNER as 64 hex digits.</param>
/// <param name="IsvProdId">Required ISV product id.</param>
/// <param name="MinIsvSvn">Minimum ISV SVN (inclusive).</param>
public sealed record SgxSignerRule(string MrSigner, ushort IsvProdId, ushort MinIsvSvn);

/// <summary>An accepted TDX measurement set: MRTD and, where given, RTMR values (null RTMR = any value).</summary>
/// <param name="MrTd">MRTD as 96 hex digits.</param>
/// <param name="Rtmr0">RTMR0 (firmware configuration), or null for any.</param>
/// <param name="Rtmr1">RTMR1 (OS loader / kernel), or null for any.</param>
/// <param name="Rtmr2">RTMR2 (OS / command line), or null for any.</param>
/// <param name="Rtmr3">RTMR3 (application), or null for any.</param>
public sealed record TdxMeasurementRule(string MrTd, string? Rtmr0 = null, string? Rtmr1 = null, string? Rtmr2 = null, string? Rtmr3 = null);

/// <summary>An accepted TCB status, optionally only with named advisories.</summary>
/// <param name="Status">The status.</param>
/// <param name="AllowedAdvisoryIds">When non-null, every advisory id of the evidence must be in this list (e.g. SWHardeningNeeded only for INTEL-SA-00615); null accepts any advisories.</param>
public sealed record TcbStatusRule(TcbStatus Status, IReadOnlyList<string>? AllowedAdvisoryIds = null);

/// <summary>
/// Which evidence an app accepts: one TEE kind, accepted measurements, accepted TCB statuses
/// (default: only UpToDate), maximum evidence age, and whether debug or simulated evidence is
/// acceptable (default: neither). Pure: <see cref="Evaluate(QuoteVerificationResult, DateTimeOffset)"/>
/// depends only on its inputs.
/// </summary>
public sealed record AttestationPolicy
{
    /// <summary>Tolerated clock skew for evidence verified "in the future" relative to <c>now</c>.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>The required TEE kind.</summary>
    public required TeeType Tee { get; init; }

    /// <summary>SGX: accepted MRENCLAVE values (hex). Evidence matching any of these, or any <see cref="Signers"/> rule, is accepted.</summary>
    public IReadOnlyList<string> MrEnclaves { get; init; } = [];

    /// <summary>SGX: accepted signers (MRSIGNER + product id + minimum SVN).</summary>
    public IReadOnlyList<SgxSignerRule> Signers { get; init; } = [];

    /// <summary>TDX: accepted MRTD/RTMR sets; evidence must match one of them.</summary>
    public IReadOnlyList<TdxMeasurementRule> TdxMeasurements { get; init; } = [];

    /// <summary>Accepted TCB statuses (default: only <see cref="TcbStatus.UpToDate"/>). <see cref="TcbStatus.Revoked"/> is never accepted.</summary>
    public IReadOnlyList<TcbStatusRule> AcceptedTcbStatuses { get; init; } = [new TcbStatusRule(TcbStatus.UpToDate)];

    /// <summary>How long after its verification evidence still counts (default 1 hour).</summary>
    public TimeSpan MaxEvidenceAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Accept debug enclaves / TDs (default false: their memory is readable by the host).</summary>
    public bool AllowDebug { get; init; }

    /// <summary>Accept simulated evidence (default false; only for pools that explicitly allow simulation).</summary>
    public bool AllowSimulated { get; init; }

    /// <summary>Judges verified evidence at <paramref name="now"/>.</summary>
    public PolicyDecision Evaluate(QuoteVerificationResult result, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.IsVerified)
        {
            return PolicyDecision.Refuse(PolicyRefusal.VerificationFailed, $"evidence did not verify: {result.Failure}: {result.FailureMessage}");
        }

        if (result.Simulated && !AllowSimulated)
        {
            return PolicyDecision.Refuse(PolicyRefusal.SimulatedEvidenceNotAllowed, "evidence is simulated and this policy does not allow simulation");
        }

        if (result.TeeType != Tee)
        {
            return PolicyDecision.Refuse(PolicyRefusal.TeeTypeMismatch, $"policy requires {Tee}, evidence is {result.TeeType}");
        }

        if (result.IsDebug && !AllowDebug)
        {
            return PolicyDecision.Refuse(PolicyRefusal.DebugNotAllowed, $"the {Tee} evidence is from a debug {(Tee == TeeType.Sgx ? "enclave" : "TD")}");
        }

        var measurement = Tee == TeeType.Sgx ? CheckSgx(result) : CheckTdx(result);
        if (measurement is not null)
        {
            return measurement;
        }

        var status = result.Status!.Value;
        var rule = AcceptedTcbStatuses.FirstOrDefault(r => r.Status == status);
        if (status == TcbStatus.Revoked || rule is null)
        {
            return PolicyDecision.Refuse(PolicyRefusal.TcbStatusNotAccepted, $"TCB status {status.ToIntelString()} is not accepted");
        }

        if (rule.AllowedAdvisoryIds is { } allowed && result.AdvisoryIds.FirstOrDefault(id => !allowed.Contains(id, StringComparer.OrdinalIgnoreCase)) is { } unexpected)
        {
            return PolicyDecision.Refuse(PolicyRefusal.AdvisoryNotAccepted, $"TCB status {status.ToIntelString()} is accepted only with [{string.Join(", ", allowed)}], evidence has {unexpected}");
        }

        if (result.EvaluatedAt > now + ClockSkew)
        {
            return PolicyDecision.Refuse(PolicyRefusal.EvidenceFromFuture, $"evidence verified at {result.EvaluatedAt:O}, after now {now:O}");
        }

        if (now - result.EvaluatedAt > MaxEvidenceAge)
        {
            return PolicyDecision.Refuse(PolicyRefusal.EvidenceTooOld, $"evidence verified at {result.EvaluatedAt:O} is older than {MaxEvidenceAge}");
        }

        return PolicyDecision.Accept($"{Tee} evidence accepted with TCB status {status.ToIntelString()}{(result.Simulated ? " (SIMULATED)" : "")}");
    }

    /// <summary>
    /// Judges verified evidence and also requires its REPORTDATA to bind the session public key and
    /// the server challenge (<see cref="ReportDataBinding"/>).
    /// </summary>
    public PolicyDecision Evaluate(QuoteVerificationResult result, DateTimeOffset now, ReadOnlySpan<byte> sessionPublicKey, ReadOnlySpan<byte> challenge)
    {
        var decision = Evaluate(result, now);
        if (!decision.Accepted)
        {
            return decision;
        }

        return ReportDataBinding.Matches(result.ReportData.AsSpan(), sessionPublicKey, challenge)
            ? decision
            : PolicyDecision.Refuse(PolicyRefusal.ReportDataMismatch, "REPORTDATA does not bind this session key and challenge (replayed or foreign evidence)");
    }

    private PolicyDecision? CheckSgx(QuoteVerificationResult result)
    {
        if (MrEnclaves.Count == 0 && Signers.Count == 0)
        {
            return PolicyDecision.Refuse(PolicyRefusal.NoMeasurementsConfigured, "the SGX policy lists no MRENCLAVE and no signer");
        }

        var e = result.Enclave!;
        var mrEnclave = Hex(e.MrEnclave);
        var mrSigner = Hex(e.MrSigner);
        if (MrEnclaves.Any(m => Same(m, mrEnclave))
            || Signers.Any(s => Same(s.MrSigner, mrSigner) && s.IsvProdId == e.IsvProdId && e.IsvSvn >= s.MinIsvSvn))
        {
            return null;
        }

        return PolicyDecision.Refuse(PolicyRefusal.MeasurementNotAllowed,
            $"MRENCLAVE {mrEnclave} / MRSIGNER {mrSigner} product {e.IsvProdId} SVN {e.IsvSvn} is not accepted");
    }

    private PolicyDecision? CheckTdx(QuoteVerificationResult result)
    {
        if (TdxMeasurements.Count == 0)
        {
            return PolicyDecision.Refuse(PolicyRefusal.NoMeasurementsConfigured, "the TDX policy lists no MRTD");
        }

        var td = result.TdReport!;
        var rtmrs = td.Rtmrs.Select(Hex).ToArray();
        if (TdxMeasurements.Any(r => Same(r.MrTd, Hex(td.MrTd))
            && SameOrAny(r.Rtmr0, rtmrs[0]) && SameOrAny(r.Rtmr1, rtmrs[1]) && SameOrAny(r.Rtmr2, rtmrs[2]) && SameOrAny(r.Rtmr3, rtmrs[3])))
        {
            return null;
        }

        return PolicyDecision.Refuse(PolicyRefusal.MeasurementNotAllowed, $"MRTD {Hex(td.MrTd)} with RTMRs [{string.Join(", ", rtmrs)}] is not accepted");
    }

    private static bool SameOrAny(string? expected, string actual) => expected is null || Same(expected, actual);

    private static bool Same(string expected, string actualLowerHex) => string.Equals(expected.Trim(), actualLowerHex, StringComparison.OrdinalIgnoreCase);

    private static string Hex(ImmutableArray<byte> bytes) => Convert.ToHexStringLower(bytes.AsSpan());
}
