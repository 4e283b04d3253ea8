using System.Collections.Immutable;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Quotes;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Grains.Trust;

/// <summary>
/// Conversions between the wire/state records (Abstractions) and the pure attestation library, so
/// the stored verdict and the registered app policy are judged by the one
/// <see cref="AttestationPolicy.Evaluate(QuoteVerificationResult, DateTimeOffset)"/>.
/// </summary>
public static class AttestationMapping
{
    /// <summary>
    /// Applies <see cref="TeeAdmission"/> to an app's registered policy and a worker's stored verdict;
    /// <paramref name="defaultMaxAge"/> applies when the policy sets no maximum age.
    /// </summary>
    public static AdmissionDecision Admit(AppAttestationPolicy? policy, WorkerAttestation? attestation, bool poolAllowsSimulation, DateTimeOffset now, TimeSpan defaultMaxAge)
        => TeeAdmission.Decide(policy is null ? null : ToPolicy(policy, defaultMaxAge), attestation is null ? null : ToVerdict(attestation), poolAllowsSimulation, now);

    /// <summary>An app policy as the pure <see cref="AppPolicyRules"/> check it (nothing converted, nothing lost).</summary>
    public static PolicyDraft ToDraft(AppAttestationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new PolicyDraft
        {
            Tee = policy.Tee.ToString(),
            MrEnclaves = policy.MrEnclaves,
            Signers = [.. policy.Signers.Select(s => new SignerDraft(s.MrSigner, s.IsvProdId, s.MinIsvSvn))],
            TdxMeasurements = [.. policy.TdxMeasurements.Select(m => new TdxMeasurementRule(m.MrTd, m.Rtmr0, m.Rtmr1, m.Rtmr2, m.Rtmr3))],
            TcbStatuses = [.. policy.AcceptedTcbStatuses.Select(s => s.Status)],
            MaxEvidenceAge = policy.MaxEvidenceAge,
        };
    }

    /// <summary>The stored verdict as the admission rule reads it.</summary>
    public static EvidenceVerdict ToVerdict(WorkerAttestation a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new EvidenceVerdict(a.Verified, a.Failure, a.Simulated, ToResult(a));
    }

    /// <summary>The library policy of an app policy; a zero maximum age takes <paramref name="defaultMaxAge"/>.</summary>
    public static AttestationPolicy ToPolicy(AppAttestationPolicy policy, TimeSpan defaultMaxAge)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var statuses = policy.AcceptedTcbStatuses.Count == 0
            ? [new TcbStatusRule(TcbStatus.UpToDate)]
            : policy.AcceptedTcbStatuses.Select(s => new TcbStatusRule(ParseStatus(s.Status), s.AllowedAdvisoryIds)).ToList();
        return new AttestationPolicy
        {
            Tee = ToTeeType(policy.Tee),
            MrEnclaves = policy.MrEnclaves,
            Signers = policy.Signers.Select(s => new SgxSignerRule(s.MrSigner, (ushort)s.IsvProdId, (ushort)s.MinIsvSvn)).ToList(),
            TdxMeasurements = policy.TdxMeasurements.Select(m => new TdxMeasurementRule(m.MrTd, m.Rtmr0, m.Rtmr1, m.Rtmr2, m.Rtmr3)).ToList(),
            AcceptedTcbStatuses = statuses,
            MaxEvidenceAge = policy.MaxEvidenceAge > TimeSpan.Zero ? policy.MaxEvidenceAge : defaultMaxAge,
            AllowDebug = policy.AllowDebug,
            AllowSimulated = policy.AllowSimulated,
        };
    }

    /// <summary>The stored verdict as a verification result the library policy can judge.</summary>
    public static QuoteVerificationResult ToResult(WorkerAttestation a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!a.Verified || !TcbStatusText.TryParse(a.TcbStatus, out var status))
        {
            return QuoteVerificationResult.Failed(VerificationFailureReason.UnknownEvidenceFormat, a.Failure ?? "not verified", a.VerifiedAt);
        }

        var reportData = Bytes(a.ReportData, 64);
        return new QuoteVerificationResult
        {
            Status = status,
            AdvisoryIds = [.. a.AdvisoryIds],
            TeeType = ToTeeType(a.Tee),
            Simulated = a.Simulated,
            EvaluatedAt = a.VerifiedAt,
            Fmspc = a.Fmspc,
            Enclave = a.Tee == TeeKind.Sgx ? new EnclaveReportBody
            {
                CpuSvn = Zero(16),
                MiscSelect = 0,
                Attributes = [(byte)(a.Debug ? 0x07 : 0x05), .. new byte[15]],
                MrEnclave = Bytes(a.MrEnclave, 32),
                MrSigner = Bytes(a.MrSigner, 32),
                IsvProdId = (ushort)a.IsvProdId,
                IsvSvn = (ushort)a.IsvSvn,
                ReportData = reportData,
            } : null,
            TdReport = a.Tee == TeeKind.Tdx ? new TdReportBody
            {
                IsVersion15 = false,
                TeeTcbSvn = Zero(16),
                MrSeam = Zero(48),
                MrSignerSeam = Zero(48),
                SeamAttributes = Zero(8),
                TdAttributes = [(byte)(a.Debug ? 0x01 : 0x00), .. new byte[7]],
                Xfam = Zero(8),
                MrTd = Bytes(a.MrTd, 48),
                MrConfigId = Zero(48),
                MrOwner = Zero(48),
                MrOwnerConfig = Zero(48),
                Rtmrs = [.. Enumerable.Range(0, 4).Select(i => Bytes(i < a.Rtmrs.Count ? a.Rtmrs[i] : null, 48))],
                ReportData = reportData,
            } : null,
        };
    }

    /// <summary>
    /// The verdict on evidence: verified only when the verifier accepted it, its kind matches what the
    /// worker declared (TEE kind, simulated or not) and its REPORTDATA binds the session key and the challenge.
    /// </summary>
    public static WorkerAttestation Assess(WorkerEvidence evidence, QuoteVerificationResult result, TeeKind declared, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(result);
        var tee = result.TeeType switch { TeeType.Sgx => TeeKind.Sgx, TeeType.Tdx => TeeKind.Tdx, _ => declared };
        var failure = !result.IsVerified ? $"{result.Failure}: {result.FailureMessage}"
            : tee != declared ? $"the evidence is {tee} but the worker declared {declared}"
            : result.Simulated != (evidence.Format == EvidenceFormat.Simulated) ? $"the evidence format is {evidence.Format} but the evidence {(result.Simulated ? "is" : "is not")} simulated"
            : evidence.Challenge.Length != ReportDataBinding.ChallengeSize ? $"the server challenge must be {ReportDataBinding.ChallengeSize} bytes, got {evidence.Challenge.Length}"
            : !IsUncompressedPoint(evidence.EnclavePublicKey) ? $"the enclave session key must be an uncompressed secp256k1 public key (64 bytes X ‖ Y, or 65 with 0x04), got {evidence.EnclavePublicKey.Length} bytes"
            : !ReportDataBinding.Matches(result.ReportData.AsSpan(), evidence.EnclavePublicKey, evidence.Challenge) ? "REPORTDATA does not bind this session key and the server's challenge (replayed or foreign evidence)"
            : null;
        var e = result.Enclave;
        var td = result.TdReport;
        return new WorkerAttestation
        {
            Verified = failure is null,
            Failure = failure,
            Tee = tee,
            TcbStatus = result.Status?.ToIntelString(),
            AdvisoryIds = [.. result.AdvisoryIds],
            MrEnclave = e is null ? null : Hex(e.MrEnclave),
            MrSigner = e is null ? null : Hex(e.MrSigner),
            IsvProdId = e?.IsvProdId ?? 0,
            IsvSvn = e?.IsvSvn ?? 0,
            MrTd = td is null ? null : Hex(td.MrTd),
            Rtmrs = td is null ? [] : [.. td.Rtmrs.Select(Hex)],
            ReportData = Hex(result.ReportData),
            Debug = result.IsDebug,
            Simulated = result.Simulated,
            VerifiedAt = now,
            SessionPublicKey = evidence.EnclavePublicKey.Length == 65 ? evidence.EnclavePublicKey[1..] : evidence.EnclavePublicKey,
            ChallengeHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(evidence.Challenge)),
            Fmspc = result.Fmspc,
            Collateral = ToCollateral(result.Collateral),
        };
    }

    /// <summary>The stored form of a collateral version (null stays null).</summary>
    public static AttestationCollateral? ToCollateral(Orchestrator.Attestation.Collateral.CollateralVersion? v) => v is null ? null
        : new AttestationCollateral(v.TcbInfoVersion, v.TcbInfoIssueDate, v.TcbEvaluationDataNumber, v.QeIdentityVersion, v.QeIdentityIssueDate, v.RootCaCrlNumber, v.PckCrlNumber, v.Fingerprint);

    /// <summary>The library's TEE type of a TEE kind.</summary>
    public static TeeType ToTeeType(TeeKind kind) => kind switch
    {
        TeeKind.Sgx => TeeType.Sgx,
        TeeKind.Tdx => TeeType.Tdx,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "an attestation policy is for SGX or TDX"),
    };

    /// <summary>Parses Intel's status string; throws <see cref="FormatException"/> naming the accepted ones.</summary>
    public static TcbStatus ParseStatus(string text) => TcbStatusText.TryParse(text, out var s) ? s
        : throw new FormatException($"'{text}' is not a TCB status (one of {string.Join(", ", Enum.GetNames<TcbStatus>())})");

    private static bool IsUncompressedPoint(byte[] key) => key.Length == 64 || (key.Length == 65 && key[0] == 0x04);

    private static ImmutableArray<byte> Zero(int length) => ImmutableArray.Create(new byte[length]);

    private static ImmutableArray<byte> Bytes(string? hex, int length)
    {
        if (string.IsNullOrEmpty(hex))
        {
            return Zero(length);
        }

        var bytes = Convert.FromHexString(hex);
        return bytes.Length == length ? [.. bytes] : Zero(length);
    }

    private static string Hex(ImmutableArray<byte> bytes) => Convert.ToHexStringLower(bytes.AsSpan());
}
