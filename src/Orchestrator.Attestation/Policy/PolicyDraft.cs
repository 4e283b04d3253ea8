namespace Orchestrator.Attestation.Policy;

/// <summary>
/// An app's attestation policy as its owner wrote it, before any check: the TEE kind as declared,
/// numbers as given (possibly out of range) and TCB statuses as text, so that
/// <see cref="AppPolicyRules.Validate"/> can name every problem instead of failing on the first
/// conversion. A valid draft converts to an <see cref="AttestationPolicy"/> without loss.
/// </summary>
public sealed record PolicyDraft
{
    /// <summary>The declared TEE kind's name; only "Sgx" and "Tdx" are valid.</summary>
    public required string Tee { get; init; }

    /// <summary>SGX: accepted MRENCLAVE values (hex).</summary>
    public IReadOnlyList<string> MrEnclaves { get; init; } = [];

    /// <summary>SGX: accepted signers, numbers unchecked.</summary>
    public IReadOnlyList<SignerDraft> Signers { get; init; } = [];

    /// <summary>TDX: accepted MRTD/RTMR sets (hex, unchecked).</summary>
    public IReadOnlyList<TdxMeasurementRule> TdxMeasurements { get; init; } = [];

    /// <summary>Accepted TCB statuses as Intel's strings (unchecked).</summary>
    public IReadOnlyList<string> TcbStatuses { get; init; } = [];

    /// <summary>The maximum evidence age; zero means the silo's default.</summary>
    public TimeSpan MaxEvidenceAge { get; init; }
}

/// <summary>An SGX signer rule as written: MRSIGNER (hex), ISV product id and minimum ISV SVN, not yet range-checked.</summary>
/// <param name="MrSigner">MRSIGNER as written.</param>
/// <param name="IsvProdId">ISV product id as written (valid: 0..65535).</param>
/// <param name="MinIsvSvn">Minimum ISV SVN as written (valid: 0..65535).</param>
public sealed record SignerDraft(string MrSigner, int IsvProdId, int MinIsvSvn);
