using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Secrets;
using Orchestrator.Grains.Trust;

namespace Orchestrator.Grains.Secrets;

/// <summary>The wire and state records of a fetch as the pure <see cref="SecretReleaseRules"/> read them.</summary>
internal static class SecretReleaseInputs
{
    public static SecretFetch ToFetch(SecretFetchRequest request) => new(request.Worker, request.SessionId, request.IssuedAt, request.Signature);

    public static SecretTerms? ToTerms(TaskSecretTerms? terms) => terms is null ? null : new(terms.App, terms.Dataset, terms.Requester, terms.FinalDeadline);

    public static CurrentSession? ToSession(EnclaveSessionView? session)
        => session is null ? null : new(session.Active, session.SessionId, session.Attestation?.SessionPublicKey, session.Held?.TaskId);

    /// <summary>The app policy's verdict on the session's stored evidence.</summary>
    public static AdmissionDecision Admit(EnclaveSessionView? session, AppAttestationPolicy? policy, DateTimeOffset now, TimeSpan defaultMaxEvidenceAge)
        => AttestationMapping.Admit(policy, session?.Attestation, session?.PoolAllowsSimulation ?? false, now, defaultMaxEvidenceAge);

    public static IReadOnlyList<SecretOwner> EntitledOwners(TaskSecretTerms terms)
        => [.. SecretReleaseRules.EntitledOwners(ToTerms(terms)!).Select(o => new SecretOwner(o.Kind, o.Address))];
}
