using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tasks;

/// <summary>One worker's replicate of a task.</summary>
public sealed class Replicate
{
    /// <summary>The worker holding it.</summary>
    public required Address Worker { get; init; }

    /// <summary>Where it is.</summary>
    public ReplicateStatus Status { get; set; }

    /// <summary>When it was handed out.</summary>
    public DateTimeOffset AssignedAt { get; init; }

    /// <summary>The worker's weight (predicted at assignment, actual once contributed).</summary>
    public int Weight { get; set; }

    /// <summary>The worker's score when it contributed.</summary>
    public int Score { get; set; }

    /// <summary>The contributed result hash.</summary>
    public Hash32? ResultHash { get; set; }

    /// <summary>The contributed result seal.</summary>
    public Hash32? ResultSeal { get; set; }

    /// <summary>The worker's signature over the contribution message (65 bytes).</summary>
    public byte[]? WorkerSignature { get; set; }

    /// <summary>The enclave's signature (TEE tasks; 65 bytes).</summary>
    public byte[]? EnclaveSignature { get; set; }

    /// <summary>When it contributed.</summary>
    public DateTimeOffset? ContributedAt { get; set; }

    /// <summary>The digest it revealed.</summary>
    public Hash32? RevealedDigest { get; set; }

    /// <summary>Counts toward the replicas still expected to contribute.</summary>
    public bool IsPending(DateTimeOffset now, TimeSpan timeref) => Status == ReplicateStatus.Assigned && now - AssignedAt < timeref;

    /// <summary>Moves along a legal edge or throws naming both states.</summary>
    public void MoveTo(ReplicateStatus next) => Status = StateMachine.Move(Status, next);

    /// <summary>True once it contributed (whatever came after).</summary>
    public bool HasContributed => Status is ReplicateStatus.Contributed or ReplicateStatus.Revealed or ReplicateStatus.Rejected;
}
