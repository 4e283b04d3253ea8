using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Secrets;

/// <summary>The outcome of <see cref="SecretReleaseRules.Decide"/>.</summary>
/// <param name="Refusal">None when granted.</param>
/// <param name="Message">What a person reads in the audit.</param>
public sealed record ReleaseDecision(SecretRefusal Refusal, string Message)
{
    /// <summary>True when the secrets may be released.</summary>
    public bool Granted => Refusal == SecretRefusal.None;
}

/// <summary>An enclave's fetch as the rule reads it: who asks, in which session, when it signed, and the signature.</summary>
/// <param name="Worker">The worker the enclave runs on.</param>
/// <param name="SessionId">The session the enclave claims.</param>
/// <param name="IssuedAt">When the enclave signed the fetch.</param>
/// <param name="Signature">The <see cref="SecretFetchProof"/> signature by the session key.</param>
public sealed record SecretFetch(Address Worker, string SessionId, DateTimeOffset IssuedAt, byte[] Signature);

/// <summary>The terms of a task's deal that decide entitlement and expiry.</summary>
/// <param name="App">The deal's app.</param>
/// <param name="Dataset">The deal's dataset, or the zero address.</param>
/// <param name="Requester">The deal's requester, or the zero address.</param>
/// <param name="FinalDeadline">When the task's secrets expire.</param>
public sealed record SecretTerms(Address App, Address Dataset, Address Requester, DateTimeOffset FinalDeadline);

/// <summary>The worker's enclave session as the rule reads it.</summary>
/// <param name="Active">True while the session is connected.</param>
/// <param name="SessionId">The worker's current session.</param>
/// <param name="SessionPublicKey">The attested enclave session key, when evidence was stored.</param>
/// <param name="HeldTask">The task whose replicate the worker runs, if any.</param>
public sealed record CurrentSession(bool Active, string SessionId, byte[]? SessionPublicKey, Hash32? HeldTask);

/// <summary>
/// The secret service's rule, pure: a task's secrets go only to the enclave session that currently
/// holds a running replicate of the task, proves its session key, and whose last evidence satisfies
/// the app's policy and is fresh (the verdict of <see cref="TeeAdmission"/>), before
/// the task's final deadline.
/// </summary>
public static class SecretReleaseRules
{
    /// <summary>
    /// Decides a fetch at <paramref name="now"/>; <paramref name="admission"/> is the app policy's verdict on
    /// the session's evidence, read only once every other check passed.
    /// </summary>
    public static ReleaseDecision Decide(
        Hash32 taskId, SecretFetch request, SecretTerms? terms, CurrentSession? session, AdmissionDecision admission,
        DateTimeOffset now, TimeSpan proofSkew)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(admission);
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

        var key = session.SessionPublicKey;
        if (key is null || !SecretFetchProof.Verify(key, request.Signature, request.Worker, taskId, request.SessionId, request.IssuedAt))
        {
            return new(SecretRefusal.BadProof, "the fetch is not signed by the session's attested enclave key");
        }

        if (session.HeldTask != taskId)
        {
            return new(SecretRefusal.NotHoldingReplicate, $"worker {request.Worker} does not hold a running replicate of task {taskId}");
        }

        return admission.Refusal switch
        {
            AdmissionRefusal.None => new(SecretRefusal.None, admission.Message),
            AdmissionRefusal.NoPolicy => new(SecretRefusal.NoAppPolicy, $"app {terms.App} has no attestation policy"),
            _ => new(SecretRefusal.AttestationRefused, admission.PolicyRefusal is { } p ? $"{p}: {admission.Message}" : admission.Message),
        };
    }

    /// <summary>The owners whose secrets a task is entitled to: its deal's dataset, app and requester.</summary>
    public static IReadOnlyList<(SecretOwnerKind Kind, Address Address)> EntitledOwners(SecretTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var owners = new List<(SecretOwnerKind, Address)>(3);
        if (terms.Dataset != Address.Zero) owners.Add((SecretOwnerKind.Dataset, terms.Dataset));
        owners.Add((SecretOwnerKind.App, terms.App));
        if (terms.Requester != Address.Zero) owners.Add((SecretOwnerKind.Requester, terms.Requester));
        return owners;
    }
}
