using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Trust;

namespace Orchestrator.Grains.Secrets;

/// <summary>The outcome of <see cref="SecretReleaseRules.Decide"/>.</summary>
/// <param name="Refusal">None when granted.</param>
/// <param name="Message">What a person reads in the audit.</param>
public sealed record ReleaseDecision(SecretRefusal Refusal, string Message)
{
    /// <summary>True when the secrets may be released.</summary>
    public bool Granted => Refusal == SecretRefusal.None;
}

/// <summary>
/// The secret service's rule, pure: a task's secrets go only to the enclave session that currently
/// holds a running replicate of the task, proves its session key, and whose last evidence satisfies
/// the app's policy and is fresh, before the task's final deadline.
/// </summary>
public static class SecretReleaseRules
{
    /// <summary>Decides a fetch at <paramref name="now"/>.</summary>
    public static ReleaseDecision Decide(
        Hash32 taskId, SecretFetchRequest request, TaskSecretTerms? terms, EnclaveSessionView? session, AppAttestationPolicy? policy,
        DateTimeOffset now, TimeSpan proofSkew, TimeSpan defaultMaxEvidenceAge)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (terms is null)
        {
            return new(SecretRefusal.UnknownTask, $"task {taskId} was never handed to an enclave");
        }

        if (now >= terms.FinalDeadline)
        {
            return new(SecretRefusal.TaskExpired, $"task {taskId} passed its final deadline {terms.FinalDeadline:O}; its secrets expired");
        }

        if (session is null || !session.Active || session.SessionId != request.SessionId || string.IsNullOrEmpty(request.SessionId))
        {
            return new(SecretRefusal.SessionNotCurrent, $"session '{request.SessionId}' is not the current session of worker {request.Worker}");
        }

        if ((request.IssuedAt - now).Duration() > proofSkew)
        {
            return new(SecretRefusal.BadProof, $"the fetch was signed at {request.IssuedAt:O}, more than {proofSkew} from now {now:O}");
        }

        var key = session.Attestation?.SessionPublicKey;
        if (key is null || !SecretFetchProof.Verify(key, request.Signature, request.Worker, taskId, request.SessionId, request.IssuedAt))
        {
            return new(SecretRefusal.BadProof, "the fetch is not signed by the session's attested enclave key");
        }

        if (session.Held is not { } held || held.TaskId != taskId)
        {
            return new(SecretRefusal.NotHoldingReplicate, $"worker {request.Worker} does not hold a running replicate of task {taskId}");
        }

        var admission = AttestationMapping.Admit(policy, session.Attestation, session.PoolAllowsSimulation, now, defaultMaxEvidenceAge);
        return admission.Refusal switch
        {
            AdmissionRefusal.None => new(SecretRefusal.None, admission.Message),
            AdmissionRefusal.NoPolicy => new(SecretRefusal.NoAppPolicy, $"app {terms.App} has no attestation policy"),
            _ => new(SecretRefusal.AttestationRefused, admission.PolicyRefusal is { } p ? $"{p}: {admission.Message}" : admission.Message),
        };
    }

    /// <summary>The owners whose secrets a task is entitled to: its deal's dataset, app and requester.</summary>
    public static IReadOnlyList<SecretOwner> EntitledOwners(TaskSecretTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var owners = new List<SecretOwner>(3);
        if (terms.Dataset != Address.Zero) owners.Add(new SecretOwner(SecretOwnerKind.Dataset, terms.Dataset));
        owners.Add(new SecretOwner(SecretOwnerKind.App, terms.App));
        if (terms.Requester != Address.Zero) owners.Add(new SecretOwner(SecretOwnerKind.Requester, terms.Requester));
        return owners;
    }
}
