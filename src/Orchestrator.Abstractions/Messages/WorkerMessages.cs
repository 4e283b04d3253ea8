using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Abstractions.Messages;

/// <summary>Wire form of a worker's capabilities.</summary>
[GenerateSerializer, Immutable, Alias("orch.capabilities.v1")]
public sealed record CapabilitiesMessage(
    [property: Id(0)] TeeKind Tee,
    [property: Id(1)] int Cores,
    [property: Id(2)] int MemoryMb,
    [property: Id(3)] bool Gpu,
    [property: Id(4)] int Slots,
    [property: Id(5)] IReadOnlyList<int> Categories)
{
    /// <summary>The domain form.</summary>
    public WorkerCapabilities ToDomain() => new(Tee, Cores, MemoryMb, Gpu, Slots, Categories);
}

/// <summary>
/// A worker joining: who it is and what it offers. The session layer has already checked its
/// signature; <paramref name="Evidence"/> (TEE workers) is carried as received, not yet verified.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.worker-hello.v1")]
public sealed record WorkerHello(
    [property: Id(0)] Address Worker,
    [property: Id(1)] CapabilitiesMessage Capabilities,
    [property: Id(2)] string SessionId,
    [property: Id(3)] bool SimulatedTee,
    [property: Id(4)] WorkerEvidence? Evidence = null);

/// <summary>How attestation evidence is encoded.</summary>
public enum EvidenceFormat
{
    /// <summary>Not given.</summary>
    Unspecified = 0,

    /// <summary>An Intel DCAP quote (SGX or TDX).</summary>
    DcapQuote = 1,

    /// <summary>Simulated evidence from a software key (proves nothing about hardware).</summary>
    Simulated = 2,
}

/// <summary>
/// A TEE worker's attestation evidence as it arrived on its session, unverified: the quote, the
/// enclave's session public key, and the server's challenge the quote's REPORTDATA must bind.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.worker-evidence.v1")]
public sealed record WorkerEvidence(
    [property: Id(0)] EvidenceFormat Format,
    [property: Id(1)] byte[] Quote,
    [property: Id(2)] byte[] EnclavePublicKey,
    [property: Id(3)] byte[] Challenge);

/// <summary>What a worker grain tells the session that holds its worker's stream.</summary>
public enum WorkerSignal
{
    /// <summary>Commands are waiting (a reveal request, a cancel): poll now.</summary>
    CommandsReady = 0,

    /// <summary>An operator drained the worker: it gets no new work.</summary>
    Draining = 1,

    /// <summary>The pool revoked the worker: end the session.</summary>
    Revoked = 2,

    /// <summary>A newer session of the same worker registered: end this one.</summary>
    SessionEnded = 3,

    /// <summary>The worker grain declared the worker lost (its heartbeats stopped): end this session.</summary>
    Lost = 4,
}

/// <summary>How a registration ended.</summary>
public enum RegistrationOutcome
{
    /// <summary>Registered; work will flow.</summary>
    Accepted = 0,

    /// <summary>The pool has not authorized this address.</summary>
    NotAuthorized = 1,

    /// <summary>The capabilities are malformed or outside the pool policy.</summary>
    InvalidCapabilities = 2,

    /// <summary>The attestation evidence did not verify, does not bind this session, or is simulated where the pool does not allow it.</summary>
    AttestationFailed = 3,
}

/// <summary>
/// The answer to a registration. <paramref name="Held"/> lists the replicates this worker holds and
/// has not contributed yet: a resumed session runs them (again, when its own journal does not show
/// them done); reveals it still owes arrive as commands at its next poll.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.worker-registration.v1")]
public sealed record WorkerRegistration(
    [property: Id(0)] RegistrationOutcome Outcome,
    [property: Id(1)] string Message,
    [property: Id(2)] IReadOnlyList<AssignCommand> Held,
    [property: Id(3)] int Score);

/// <summary>Something the cluster tells a worker.</summary>
[GenerateSerializer, Alias("orch.worker-command.v1")]
public abstract record WorkerCommand([property: Id(0)] Hash32 TaskId);

/// <summary>Run this replicate.</summary>
[GenerateSerializer, Immutable, Alias("orch.worker-command.assign.v1")]
public sealed record AssignCommand([property: Id(1)] Assignment Assignment, [property: Id(2)] byte[]? EnclaveKey) : WorkerCommand(Assignment.TaskId);

/// <summary>Consensus reached on your hash: reveal your digest before the deadline.</summary>
[GenerateSerializer, Immutable, Alias("orch.worker-command.reveal.v1")]
public sealed record RevealCommand(Hash32 Task, [property: Id(1)] DateTimeOffset RevealDeadline) : WorkerCommand(Task);

/// <summary>Stop working on this task (it completed, failed, or your replicate was taken back).</summary>
[GenerateSerializer, Immutable, Alias("orch.worker-command.cancel.v1")]
public sealed record CancelCommand(Hash32 Task, [property: Id(1)] string Reason) : WorkerCommand(Task);

/// <summary>
/// Re-attest: send a new quote whose REPORTDATA binds the enclave session key and <paramref name="Challenge"/>
/// before <paramref name="Deadline"/> (periodic re-attestation). Not about a task: its task id is zero.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.worker-command.reattest.v1")]
public sealed record ReattestCommand([property: Id(1)] byte[] Challenge, [property: Id(2)] DateTimeOffset Deadline) : WorkerCommand(default(Hash32));

/// <summary>The commands waiting for a worker.</summary>
[GenerateSerializer, Immutable, Alias("orch.worker-poll.v1")]
public sealed record WorkerPoll([property: Id(0)] IReadOnlyList<WorkerCommand> Commands, [property: Id(1)] bool Registered);

/// <summary>
/// What a task tells a contributor after settlement: what happened (won, lost or not judged, and how
/// many contributed), never a score; the worker applies it to its own current score. Persisted in
/// task state until delivered, so its shape only grows: outcomes stored before version 2 carry only
/// <paramref name="LegacyScoreAfter"/> and are read by <see cref="ToDomain"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.worker-outcome.v1")]
public sealed record WorkerOutcome(
    [property: Id(0)] Hash32 TaskId,
    [property: Id(1)] bool Won,
    [property: Id(2)] int? LegacyScoreAfter,
    [property: Id(3)] string Reason,
    [property: Id(4)] OutcomeVerdict Verdict = OutcomeVerdict.Unjudged,
    [property: Id(5)] int Contributors = 0)
{
    /// <summary>The wire form of a domain outcome.</summary>
    public static WorkerOutcome From(TaskOutcome outcome)
        => new(outcome.TaskId, outcome.Verdict == OutcomeVerdict.Won, null, outcome.Reason, outcome.Verdict, outcome.Contributors);

    /// <summary>
    /// The domain form. A version-1 outcome (no contributor count) was judged when it carried a score;
    /// its win is taken as one among several, the replicated case those outcomes came from.
    /// </summary>
    public TaskOutcome ToDomain()
    {
        if (Contributors > 0 || LegacyScoreAfter is null)
        {
            return new TaskOutcome(TaskId, Verdict, Contributors, Reason);
        }

        return new TaskOutcome(TaskId, Won ? OutcomeVerdict.Won : OutcomeVerdict.Lost, 2, Reason);
    }
}

/// <summary>A worker as operators see it.</summary>
[GenerateSerializer, Immutable, Alias("orch.worker-view.v1")]
public sealed record WorkerView(
    [property: Id(0)] Address Worker,
    [property: Id(1)] WorkerState State,
    [property: Id(2)] int Score,
    [property: Id(3)] CapabilitiesMessage? Capabilities,
    [property: Id(4)] IReadOnlyList<Hash32> Assignments,
    [property: Id(5)] DateTimeOffset? LastHeartbeat,
    [property: Id(6)] int Contributions,
    [property: Id(7)] int Wins,
    [property: Id(8)] int Losses)
{
    /// <summary>The verdict on the worker's last evidence (null when it never presented any).</summary>
    [Id(9)]
    public WorkerAttestation? Attestation { get; init; }

    /// <summary>Where the worker stands for TEE work: "" (no TEE), "attested", "re-attesting" or "not eligible".</summary>
    [Id(10)]
    public string TeeStatus { get; init; } = string.Empty;

    /// <summary>Why, when it is not simply attested (the verifier's or the policy's reason, or the unanswered challenge).</summary>
    [Id(11)]
    public string TeeReason { get; init; } = string.Empty;

    /// <summary>When the session re-attests next (null without a TEE session, or when periodic re-attestation is off).</summary>
    [Id(12)]
    public DateTimeOffset? ReattestDueAt { get; init; }
}
