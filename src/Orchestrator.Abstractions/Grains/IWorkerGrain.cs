using Orleans.Concurrency;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// A worker, keyed by its address as lowercase 0x-hex: registration, capabilities, heartbeat, score,
/// current assignments, lost-worker detection. Every worker call goes through its own grain, so
/// heartbeats never touch a shared grain.
/// </summary>
[Alias("orch.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Registers (or resumes) a session; returns what the worker still holds.</summary>
    [Alias("register")]
    Task<WorkerRegistration> RegisterAsync(WorkerHello hello);

    /// <summary>
    /// Verifies new evidence for the current session (re-attestation: the server issued a new
    /// challenge). On success it replaces the stored verdict; on failure the old verdict stays, and ages.
    /// </summary>
    [Alias("reattest")]
    Task<ReattestResult> ReattestAsync(string sessionId, WorkerEvidence evidence);

    /// <summary>
    /// Keeps the verdict true (one-way, queued by the grain itself or by the collateral refresher): asks the
    /// session for a new quote when re-attestation is due, ends the eligibility of a session that left the last
    /// request unanswered past its timeout, and judges the kept quote again when the silo's collateral changed;
    /// a verdict that changes gives back the TEE replicates the apps' policies no longer admit.
    /// </summary>
    [Alias("review-attestation"), OneWay]
    Task ReviewAttestationAsync();

    /// <summary>
    /// Asks the session for a new quote now, over a fresh challenge (an operator's "re-attest now", e.g. after a
    /// platform update); false when the worker has no live TEE session. The answer comes through <see cref="ReattestAsync"/>.
    /// </summary>
    [Alias("request-reattestation")]
    Task<bool> RequestReattestationAsync();

    /// <summary>The verdict on the worker's last evidence, or null when it never presented any.</summary>
    [Alias("attestation")]
    Task<WorkerAttestation?> GetAttestationAsync();

    /// <summary>
    /// For the secret service: the worker's session, its attested verdict and the replicate of
    /// <paramref name="taskId"/> it runs, if any. A read that interleaves (the secret service must
    /// never wait behind a take that waits on the secret service).
    /// </summary>
    [Alias("enclave-session"), AlwaysInterleave]
    Task<EnclaveSessionView> GetEnclaveSessionAsync(Hash32 taskId);

    /// <summary>
    /// Keeps the worker alive. Interleaves with the grain's other calls (it awaits nothing), so a heartbeat
    /// never waits behind a poll that is sweeping busy dispatch shards: with 10,000 idle sessions those
    /// waits exceeded the heartbeat timeout and live workers were declared lost.
    /// </summary>
    [Alias("heartbeat"), AlwaysInterleave]
    Task<bool> HeartbeatAsync(string sessionId);

    /// <summary>
    /// Heartbeats the session and (re)attaches the observer that gets its signals; false when the
    /// session is not the worker's current one. Called at every heartbeat, so an observer lost with
    /// a grain's reactivation is attached again within one interval.
    /// </summary>
    [Alias("attach"), AlwaysInterleave]
    Task<bool> AttachAsync(string sessionId, IWorkerSessionObserver observer);

    /// <summary>Forgets the session's observer when its stream closed (no signal goes to a closed session).</summary>
    [Alias("detach")]
    Task DetachAsync(string sessionId);

    /// <summary>Returns waiting commands and, when the worker has free slots, new assignments.</summary>
    [Alias("poll")]
    Task<WorkerPoll> PollAsync(string sessionId, int freeSlots);

    // The byte arrays below are [Immutable]: the session hands over arrays it never changes afterwards (see ITaskGrain).

    /// <summary>Contributes a result hash and seal (replicated path).</summary>
    [Alias("contribute")]
    Task<TaskCallResult> ContributeAsync(Hash32 taskId, Hash32 resultHash, Hash32 resultSeal, [Immutable] byte[] workerSignature);

    /// <summary>Contributes and finalizes a TEE task with an enclave signature (and the app's callback data when the deal names a callback).</summary>
    [Alias("contribute-finalize")]
    Task<TaskCallResult> ContributeAndFinalizeAsync(Hash32 taskId, Hash32 resultDigest, [Immutable] byte[] enclaveSignature, [Immutable] byte[]? callbackData = null);

    /// <summary>Reveals the digest of a contributed winning hash (with the app's callback data when the deal names a callback).</summary>
    [Alias("reveal")]
    Task<TaskCallResult> RevealAsync(Hash32 taskId, Hash32 resultDigest, [Immutable] byte[]? callbackData = null);

    /// <summary>Gives a replicate back before contributing (drain, or the worker cannot run it).</summary>
    [Alias("give-back")]
    Task<TaskCallResult> GiveBackAsync(Hash32 taskId);

    /// <summary>Gives a replicate back with the worker's reason (the app's failure), which the task's view shows.</summary>
    [Alias("give-back-with-reason")]
    Task<TaskCallResult> GiveBackAsync(Hash32 taskId, string reason);

    /// <summary>A task asks the worker to reveal. One-way: tasks never wait on workers.</summary>
    [Alias("reveal-requested"), OneWay]
    Task RevealRequestedAsync(Hash32 taskId, DateTimeOffset revealDeadline);

    /// <summary>
    /// A task asks whether this worker still holds its replicate (one-way). A worker grain that does
    /// not (its silo died between the hand-out and the write, or the worker is gone) gives it back,
    /// so the task hands it to someone else instead of waiting for its timeout.
    /// </summary>
    [Alias("confirm-holding"), OneWay]
    Task ConfirmHoldingAsync(Hash32 taskId);

    /// <summary>A task tells the worker how it ended for it (score update). One-way and idempotent per task.</summary>
    [Alias("outcome"), OneWay]
    Task OutcomeAsync(WorkerOutcome outcome);

    /// <summary>Stops giving the worker new work; it finishes what it holds.</summary>
    [Alias("drain")]
    Task DrainAsync();

    /// <summary>The pool revoked the worker: it is dropped and its replicates released.</summary>
    [Alias("revoke")]
    Task RevokeAsync();

    /// <summary>Declares the worker lost if its heartbeats stopped; releases its replicates.</summary>
    [Alias("check-liveness")]
    Task<bool> CheckLivenessAsync();

    /// <summary>
    /// The liveness roster's tick: wakes the grain (on a survivor when its silo died), judges the worker's liveness,
    /// and answers whether the worker still needs waking (a live session); false lets the roster drop it.
    /// </summary>
    [Alias("roster-poke")]
    Task<bool> PokeAsync();

    /// <summary>The worker as operators see it.</summary>
    [Alias("view")]
    Task<WorkerView> GetViewAsync();
}
