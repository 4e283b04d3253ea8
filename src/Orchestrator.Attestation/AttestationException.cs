namespace Orchestrator.Attestation;

/// <summary>
/// Internal control flow for a verification step that failed: thrown deep in the parsers and
/// checks, always caught at the public entry points and turned into a failed result.
/// </summary>
internal sealed class AttestationException : Exception
{
    public AttestationException(VerificationFailureReason reason, string message)
        : base(message) => Reason = reason;

    public AttestationException(VerificationFailureReason reason, string message, Exception inner)
        : base(message, inner) => Reason = reason;

    public AttestationException() : this(VerificationFailureReason.InternalError, "attestation failure") { }

    public AttestationException(string message) : this(VerificationFailureReason.InternalError, message) { }

    public AttestationException(string message, Exception inner) : this(VerificationFailureReason.InternalError, message, inner) { }

    public VerificationFailureReason Reason { get; }
}
