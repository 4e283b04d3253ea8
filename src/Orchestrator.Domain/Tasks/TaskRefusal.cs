namespace Orchestrator.Domain.Tasks;

/// <summary>Why a task refused an input. Refusals change nothing.</summary>
public enum TaskRefusalCode
{
    /// <summary>The task is COMPLETED or FAILED.</summary>
    TaskFinal = 1,

    /// <summary>The worker holds no live replicate of this task.</summary>
    NotAssigned,

    /// <summary>The worker already contributed to this task.</summary>
    AlreadyContributed,

    /// <summary>The worker already holds, or held, a replicate of this task.</summary>
    AlreadyHoldsReplicate,

    /// <summary>The task needs no further replicate now.</summary>
    NotNeeded,

    /// <summary>The contribution deadline has passed.</summary>
    ContributionDeadlinePassed,

    /// <summary>Consensus is already reached; contributions are closed.</summary>
    ConsensusAlreadyReached,

    /// <summary>The task is not waiting for reveals.</summary>
    NotRevealing,

    /// <summary>Only contributors of the winning hash reveal.</summary>
    NotAWinner,

    /// <summary>The reveal deadline has passed.</summary>
    RevealDeadlinePassed,

    /// <summary>The revealed digest does not reproduce the contributed hash and seal.</summary>
    RevealMismatch,

    /// <summary>The worker already revealed.</summary>
    AlreadyRevealed,

    /// <summary>A signature is malformed or does not recover to the expected signer.</summary>
    InvalidSignature,

    /// <summary>The call does not fit the task's path (TEE fast path versus replicated consensus).</summary>
    WrongPath,

    /// <summary>The callback data is missing, unexpected, too long, or does not hash (keccak256) to the revealed digest.</summary>
    BadCallbackData,

    /// <summary>The task's deal was cancelled (its creation vanished from the chain): the task runs nothing more.</summary>
    DealCancelled,
}

/// <summary>A precise refusal: its code and a message a person can act on.</summary>
/// <param name="Code">The machine-readable reason.</param>
/// <param name="Message">The human-readable reason.</param>
public sealed record TaskRefusal(TaskRefusalCode Code, string Message);
