using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Abstractions.Messages;

/// <summary>What every task of a deal shares: enough for a task grain to know its rules and for a worker to run it.</summary>
[GenerateSerializer, Immutable, Alias("orch.deal-ticket.v1")]
public sealed record DealTicket(
    [property: Id(0)] Hash32 DealId,
    [property: Id(1)] Address App,
    [property: Id(2)] Address Dataset,
    [property: Id(3)] int CategoryId,
    [property: Id(4)] int Trust,
    [property: Id(5)] TeeTag Tag,
    [property: Id(6)] BigInteger TaskPrice,
    [property: Id(7)] DateTimeOffset StartTime,
    [property: Id(8)] TimeSpan Timeref,
    [property: Id(9)] int Cores,
    [property: Id(10)] int MemoryMb,
    [property: Id(11)] bool Gpu,
    [property: Id(12)] string Params,
    [property: Id(13)] Address Requester = default)
{
    /// <summary>The beneficiary's public key (64 bytes X ‖ Y) the results are encrypted for, or null.</summary>
    [Id(14)]
    public byte[]? BeneficiaryKey { get; init; }

    /// <summary>The deal's callback contract, or the zero address.</summary>
    [Id(15)]
    public Address Callback { get; init; } = Address.Zero;

    /// <summary>
    /// The app version the deal pinned at its creation (1-based), whose measurement policy admits its
    /// TEE workers and releases its secrets; 0 for an app that was not registered (its current policy applies).
    /// </summary>
    [Id(16)]
    public int AppVersion { get; init; }

    /// <summary>The resource requirements of each task.</summary>
    public TaskRequirements Requirements => new(Tag.Kind, Cores, MemoryMb, Gpu, CategoryId);

    /// <summary>The rules of the task at <paramref name="index"/>.</summary>
    public TaskTerms TermsFor(long index) => new(
        DealId, index, Trust, Timeref,
        Deadlines.Contribution(StartTime, Timeref), Deadlines.Final(StartTime, Timeref), Tag, TaskPrice)
    {
        Callback = Callback.IsZero ? Address.Zero : Callback,
    };

    /// <summary>Builds the ticket of a deal.</summary>
    public static DealTicket From(DealSpec deal, Category category) => new(
        deal.DealId, deal.App, deal.Dataset, deal.CategoryId, deal.Trust, deal.Tag, deal.TaskPrice, deal.StartTime,
        category.Timeref, deal.Cores, deal.MemoryMb, deal.Gpu, deal.Params, deal.Requester)
    {
        BeneficiaryKey = deal.BeneficiaryKey,
        Callback = deal.Callback,
    };
}

/// <summary>One task to hand out: its deal's ticket, its index and its own parameters.</summary>
[GenerateSerializer, Immutable, Alias("orch.task-ticket.v1")]
public sealed record TaskTicket([property: Id(0)] DealTicket Deal, [property: Id(1)] long Index, [property: Id(2)] string Params)
{
    /// <summary>keccak256(dealId ‖ idx).</summary>
    public Hash32 TaskId => Orchestrator.Domain.Ids.ProtocolIds.TaskId(Deal.DealId, (ulong)Index);
}

/// <summary>A replicate handed to a worker: everything it needs to run the task.</summary>
[GenerateSerializer, Immutable, Alias("orch.assignment.v1")]
public sealed record Assignment(
    [property: Id(0)] Hash32 TaskId,
    [property: Id(1)] Hash32 DealId,
    [property: Id(2)] long Index,
    [property: Id(3)] Address App,
    [property: Id(4)] Address Dataset,
    [property: Id(5)] string Params,
    [property: Id(6)] int Trust,
    [property: Id(7)] int CategoryId,
    [property: Id(8)] DateTimeOffset ContributionDeadline,
    [property: Id(9)] DateTimeOffset FinalDeadline,
    [property: Id(10)] TeeKind Tee,
    [property: Id(11)] Address EnclaveChallenge,
    [property: Id(12)] bool TeeFastPath,
    [property: Id(13)] DateTimeOffset AssignedAt)
{
    /// <summary>The beneficiary's public key the worker encrypts the result and logs for, or null (results in clear).</summary>
    [Id(14)]
    public byte[]? BeneficiaryKey { get; init; }

    /// <summary>The deal's callback contract, or the zero address: the task's digest is then keccak256 of the app's callback data.</summary>
    [Id(15)]
    public Address Callback { get; init; } = Address.Zero;

    /// <summary>CPU cores the deal asks for (the worker's container limit; 0: the worker's default).</summary>
    [Id(16)]
    public int Cores { get; init; }

    /// <summary>Memory the deal asks for, MiB (the worker's container limit; 0: the worker's default).</summary>
    [Id(17)]
    public int MemoryMb { get; init; }
}

/// <summary>
/// The answer of a task grain to a hand-out request. <paramref name="EnclaveKey"/> is retired (always
/// null): the secret service holds the enclave challenge key and releases it only to the attested enclave.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.assign-result.v1")]
public sealed record AssignResult(
    [property: Id(0)] Assignment? Assignment,
    [property: Id(1)] TaskRefusalCode? Refusal,
    [property: Id(2)] string Message,
    [property: Id(3)] byte[]? EnclaveKey = null);

/// <summary>
/// The answer to a contribution, reveal or release. <paramref name="Outcome"/> is the calling worker's own
/// outcome when its call ended the task (the last reveal, a TEE contribution): it rides on the answer instead
/// of a separate one-way call to the worker grain, which applies it as it would that call.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.task-call-result.v1")]
public sealed record TaskCallResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] TaskRefusalCode? Refusal,
    [property: Id(2)] string Message,
    [property: Id(3)] TaskStatus Status,
    [property: Id(4)] bool RevealNow,
    [property: Id(5)] DateTimeOffset? RevealDeadline,
    [property: Id(6)] WorkerOutcome? Outcome = null)
{
    /// <summary>An accepted call.</summary>
    public static TaskCallResult Ok(TaskStatus status, bool revealNow = false, DateTimeOffset? revealDeadline = null)
        => new(true, null, string.Empty, status, revealNow, revealDeadline);

    /// <summary>A refused call.</summary>
    public static TaskCallResult Refused(TaskRefusalCode code, string message, TaskStatus status)
        => new(false, code, message, status, false, null);
}

/// <summary>A replicate as operators see it.</summary>
[GenerateSerializer, Immutable, Alias("orch.replicate-view.v1")]
public sealed record ReplicateView(
    [property: Id(0)] Address Worker,
    [property: Id(1)] ReplicateStatus Status,
    [property: Id(2)] DateTimeOffset AssignedAt,
    [property: Id(3)] Hash32? ResultHash,
    [property: Id(4)] int Weight);

/// <summary>A task as operators see it.</summary>
[GenerateSerializer, Immutable, Alias("orch.task-view.v1")]
public sealed record TaskView(
    [property: Id(0)] Hash32 TaskId,
    [property: Id(1)] Hash32 DealId,
    [property: Id(2)] long Index,
    [property: Id(3)] TaskStatus Status,
    [property: Id(4)] IReadOnlyList<ReplicateView> Replicates,
    [property: Id(5)] Hash32? ConsensusHash,
    [property: Id(6)] Hash32? ResultDigest,
    [property: Id(7)] DateTimeOffset? RevealDeadline,
    [property: Id(8)] int Reopens)
{
    /// <summary>Why the task was cancelled with its deal (null: it was not); its status then stays as it was.</summary>
    [Id(9)] public string? CancelReason { get; init; }

    /// <summary>Why the last replicate given back failed, as its worker said (e.g. the app went over its memory limit), or null.</summary>
    [Id(10)] public string? LastFailure { get; init; }
}

/// <summary>Where the task of a final notice ended, and how often it reopened on the way.</summary>
[GenerateSerializer, Immutable, Alias("orch.task-final.v1")]
public sealed record TaskFinalNotice([property: Id(0)] long Index, [property: Id(1)] TaskStatus Status, [property: Id(2)] int Reopens = 0);
