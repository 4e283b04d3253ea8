using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tasks;

/// <summary>Something a task step caused that others must hear about.</summary>
public abstract record TaskEffect;

/// <summary>Consensus reached: the listed workers must reveal before <paramref name="RevealDeadline"/>.</summary>
public sealed record ConsensusReached(Hash32 ResultHash, IReadOnlyList<Address> Winners, DateTimeOffset RevealDeadline) : TaskEffect;

/// <summary>The task completed with its settlement.</summary>
public sealed record TaskCompleted(Hash32 ResultDigest, Settlement Settlement, IReadOnlyList<Replicate> Contributions) : TaskEffect;

/// <summary>The task failed at its final deadline: the requester is refunded; nobody is punished.</summary>
public sealed record TaskFailed(string Reason) : TaskEffect;

/// <summary>Reveal deadline passed with no reveal: the winning group was rejected and the task is ACTIVE again.</summary>
public sealed record TaskReopened(Hash32 RejectedHash, IReadOnlyList<Address> Rejected) : TaskEffect;

/// <summary>The task was cancelled with its deal: <paramref name="Holders"/> must stop; nothing is settled or sent to the chain.</summary>
public sealed record TaskCancelled(string Reason, IReadOnlyList<Address> Holders) : TaskEffect;

/// <summary>A worker's replicate was taken back before it contributed.</summary>
public sealed record ReplicateReleased(Address Worker, ReplicateStatus Reason) : TaskEffect;

/// <summary>The outcome of one call into a task: either a refusal (nothing changed) or the effects of the change.</summary>
public sealed class TaskStep
{
    private static readonly TaskStep NoChangeInstance = new(null, [], false);

    private TaskStep(TaskRefusal? refusal, IReadOnlyList<TaskEffect> effects, bool changed)
    {
        Refusal = refusal;
        Effects = effects;
        Changed = changed;
    }

    /// <summary>Set when the input was refused.</summary>
    public TaskRefusal? Refusal { get; }

    /// <summary>What the step caused.</summary>
    public IReadOnlyList<TaskEffect> Effects { get; }

    /// <summary>True when state changed and must be persisted.</summary>
    public bool Changed { get; }

    /// <summary>True when accepted.</summary>
    public bool Accepted => Refusal is null;

    /// <summary>A refusal.</summary>
    public static TaskStep Refuse(TaskRefusalCode code, string message) => new(new TaskRefusal(code, message), [], false);

    /// <summary>An accepted change.</summary>
    public static TaskStep Change(params TaskEffect[] effects) => new(null, effects, true);

    /// <summary>An accepted change with a list of effects.</summary>
    public static TaskStep Change(List<TaskEffect> effects) => new(null, effects, true);

    /// <summary>Accepted, nothing to do.</summary>
    public static TaskStep NoChange => NoChangeInstance;
}
