using Orleans.Concurrency;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Abstractions.Grains;

/// <summary>One task, keyed by its id as lowercase 0x-hex. Drives replicates, contributions, consensus, reveal and finalization.</summary>
[Alias("orch.ITaskGrain")]
public interface ITaskGrain : IGrainWithStringKey
{
    /// <summary>Hands a replicate to a worker if the task needs one.</summary>
    [Alias("assign")]
    Task<AssignResult> AssignAsync(TaskTicket ticket, Address worker, int score);

    // Contribute, ContributeAndFinalize and Reveal are called by the worker's own grain only: when the call ends
    // the task, the caller's outcome comes back in TaskCallResult.Outcome and is not sent to it again.
    // Their byte arrays are [Immutable]: a caller hands over arrays it never changes afterwards, so a call within the
    // silo passes them as they are instead of deep-copying each (and hashing it into the copy's reference table).

    /// <summary>A contribution on the replicated path.</summary>
    [Alias("contribute")]
    Task<TaskCallResult> ContributeAsync(Address worker, int score, Hash32 resultHash, Hash32 resultSeal, [Immutable] byte[] workerSignature);

    /// <summary>A TEE fast-path contribution that completes the task; <paramref name="callbackData"/> exactly when the deal names a callback.</summary>
    [Alias("contribute-finalize")]
    Task<TaskCallResult> ContributeAndFinalizeAsync(Address worker, int score, Hash32 resultDigest, [Immutable] byte[] enclaveSignature, [Immutable] byte[]? callbackData = null);

    /// <summary>A winner reveals its digest, with the app's callback data exactly when the deal names a callback (its keccak256 is the digest).</summary>
    [Alias("reveal")]
    Task<TaskCallResult> RevealAsync(Address worker, Hash32 resultDigest, [Immutable] byte[]? callbackData = null);

    /// <summary>A worker was lost or gave its replicate back.</summary>
    [Alias("release")]
    Task<TaskCallResult> ReleaseAsync(Address worker, ReplicateStatus reason);

    /// <summary>A worker gave its replicate back because it could not run it: released as abandoned, and why is kept in the task's view.</summary>
    [Alias("give-back")]
    Task<TaskCallResult> GiveBackAsync(Address worker, string reason);

    /// <summary>Applies time (deadlines, timeouts) and re-requests replicates if needed. One-way: the deal sweeps without waiting.</summary>
    [Alias("nudge"), OneWay]
    Task NudgeAsync(TaskTicket ticket);

    /// <summary>
    /// Cancels the task with its deal (idempotent; a final task keeps its outcome): it refuses every call
    /// from then on with <see cref="TaskRefusalCode.DealCancelled"/>, and its holders are told to stop.
    /// </summary>
    [Alias("cancel")]
    Task CancelAsync(TaskTicket ticket, string reason);

    /// <summary>
    /// Judges a result upload before its bytes are stored: admitted only for a revealed winner (or the
    /// TEE worker that completed the task), with the consensus digest the archive must carry (Domain's ResultUploadRules).
    /// </summary>
    [Alias("admit-upload")]
    Task<UploadAdmission> AdmitUploadAsync(Address worker);

    /// <summary>Judges a logs upload (Domain's LogsUploadRules): admitted for any worker that held a replicate of the task.</summary>
    [Alias("admit-logs"), ReadOnly]
    Task<UploadAdmission> AdmitLogsAsync(Address worker);

    /// <summary>The task as operators see it.</summary>
    [Alias("view")]
    Task<TaskView> GetViewAsync();

    /// <summary>Who may download the task's result and whether it is final: the deal's requester, beneficiary key, the task's status and digest. Reads only.</summary>
    [Alias("result-terms"), ReadOnly]
    Task<ResultTerms> GetResultTermsAsync();
}
