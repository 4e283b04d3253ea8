namespace Orchestrator.Attestation.Policy;

/// <summary>Why a policy refused evidence.</summary>
public enum PolicyRefusal
{
    /// <summary>The evidence itself did not verify.</summary>
    VerificationFailed,

    /// <summary>The evidence is simulated and the policy does not allow simulation.</summary>
    SimulatedEvidenceNotAllowed,

    /// <summary>The evidence comes from another kind of TEE than the policy requires.</summary>
    TeeTypeMismatch,

    /// <summary>The enclave / TD runs in debug mode and the policy does not allow it.</summary>
    DebugNotAllowed,

    /// <summary>The policy lists no acceptable measurement at all (refuse rather than accept anything).</summary>
    NoMeasurementsConfigured,

    /// <summary>MRENCLAVE / MRSIGNER + product + SVN (SGX) or MRTD + RTMRs (TDX) are not among the accepted ones.</summary>
    MeasurementNotAllowed,

    /// <summary>The TCB status is not accepted by the policy.</summary>
    TcbStatusNotAccepted,

    /// <summary>The TCB status is accepted, but only with named advisories, and another advisory applies.</summary>
    AdvisoryNotAccepted,

    /// <summary>The evidence was verified longer ago than the policy's maximum age.</summary>
    EvidenceTooOld,

    /// <summary>The evidence claims to be verified in the future.</summary>
    EvidenceFromFuture,

    /// <summary>REPORTDATA does not bind the session public key and the server challenge.</summary>
    ReportDataMismatch,
}

/// <summary>Accept, or a precise refusal with a message a person can act on.</summary>
/// <param name="Accepted">True when the evidence satisfies the policy.</param>
/// <param name="Refusal">Why not, when refused.</param>
/// <param name="Message">Detail.</param>
public sealed record PolicyDecision(bool Accepted, PolicyRefusal? Refusal, string Message)
{
    /// <summary>An acceptance.</summary>
    public static PolicyDecision Accept(string message) => new(true, null, message);

    /// <summary>A refusal.</summary>
    public static PolicyDecision Refuse(PolicyRefusal refusal, string message) => new(false, refusal, message);
}
