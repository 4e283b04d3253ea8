using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Abstractions.Messages;

/// <summary>A deal as submitted to the cluster (wire form of <see cref="DealSpec"/>).</summary>
[GenerateSerializer, Immutable, Alias("orch.deal-spec.v1")]
public sealed record DealSpecMessage(
    [property: Id(0)] Hash32 DealId,
    [property: Id(1)] Address Requester,
    [property: Id(2)] Address App,
    [property: Id(3)] Address Dataset,
    [property: Id(4)] int CategoryId,
    [property: Id(5)] int Trust,
    [property: Id(6)] TeeTag Tag,
    [property: Id(7)] long BotFirst,
    [property: Id(8)] int BotSize,
    [property: Id(9)] BigInteger TaskPrice,
    [property: Id(10)] DateTimeOffset StartTime,
    [property: Id(11)] int Cores,
    [property: Id(12)] int MemoryMb,
    [property: Id(13)] bool Gpu,
    [property: Id(14)] string Params,
    [property: Id(15)] IReadOnlyList<string> TaskParams)
{
    /// <summary>The beneficiary's public key (64 bytes X ‖ Y), or null (see <see cref="DealSpec.BeneficiaryKey"/>).</summary>
    [Id(16)]
    public byte[]? BeneficiaryKey { get; init; }

    /// <summary>Results may be stored in clear (see <see cref="DealSpec.PublicResults"/>).</summary>
    [Id(17)]
    public bool PublicResults { get; init; }

    /// <summary>The deal's callback contract, or the zero address (see <see cref="DealSpec.Callback"/>).</summary>
    [Id(18)]
    public Address Callback { get; init; } = Address.Zero;

    /// <summary>
    /// The requester secrets the deal's app gets, by index (iExec's <c>iexec_secrets</c>): the secret
    /// named by the value is released to the app as requester secret "&lt;index&gt;", which the worker
    /// exposes as <c>IEXEC_REQUESTER_SECRET_&lt;index&gt;</c>. No other requester secret is released.
    /// </summary>
    [Id(19)]
    public IReadOnlyDictionary<int, string>? RequesterSecrets { get; init; }

    /// <summary>The domain form.</summary>
    public DealSpec ToDomain() => new()
    {
        DealId = DealId,
        Requester = Requester,
        App = App,
        Dataset = Dataset,
        CategoryId = CategoryId,
        Trust = Trust,
        Tag = Tag,
        BotFirst = BotFirst,
        BotSize = BotSize,
        TaskPrice = TaskPrice,
        StartTime = StartTime,
        Cores = Cores,
        MemoryMb = MemoryMb,
        Gpu = Gpu,
        Params = Params,
        TaskParams = TaskParams,
        BeneficiaryKey = BeneficiaryKey,
        PublicResults = PublicResults,
        Callback = Callback.IsZero ? Address.Zero : Callback,
    };

    /// <summary>The wire form of a domain deal.</summary>
    public static DealSpecMessage From(DealSpec d) => new(
        d.DealId, d.Requester, d.App, d.Dataset, d.CategoryId, d.Trust, d.Tag, d.BotFirst, d.BotSize, d.TaskPrice,
        d.StartTime, d.Cores, d.MemoryMb, d.Gpu, d.Params, d.TaskParams)
    {
        BeneficiaryKey = d.BeneficiaryKey,
        PublicResults = d.PublicResults,
        Callback = d.Callback,
    };
}

/// <summary>The answer to a deal creation.</summary>
/// <param name="DealId">The deal.</param>
/// <param name="Created">True when this call created it; false when it already existed (idempotent).</param>
/// <param name="Errors">Validation errors; non-empty means refused and nothing created.</param>
[GenerateSerializer, Immutable, Alias("orch.deal-created.v1")]
public sealed record DealCreationResult([property: Id(0)] Hash32 DealId, [property: Id(1)] bool Created, [property: Id(2)] IReadOnlyList<string> Errors)
{
    /// <summary>True when the deal exists (created now or before).</summary>
    public bool Accepted => Errors.Count == 0;
}

/// <summary>A deal's progress.</summary>
[GenerateSerializer, Immutable, Alias("orch.deal-view.v1")]
public sealed record DealView(
    [property: Id(0)] Hash32 DealId,
    [property: Id(1)] bool Exists,
    [property: Id(2)] int BotSize,
    [property: Id(3)] int Completed,
    [property: Id(4)] int Failed,
    [property: Id(5)] DateTimeOffset StartTime,
    [property: Id(6)] DateTimeOffset FinalDeadline,
    [property: Id(7)] int Trust,
    [property: Id(8)] int CategoryId,
    [property: Id(9)] uint TeeTag,
    [property: Id(10)] int Reopens,
    [property: Id(11)] long BotFirst = 0)
{
    /// <summary>Why the deal was cancelled (its DealCreated log vanished from the chain), or null: its open tasks then run nothing more.</summary>
    [Id(12)] public string? CancelReason { get; init; }

    /// <summary>True once cancelled.</summary>
    public bool Cancelled => CancelReason is not null;

    /// <summary>Consensus rounds of the final tasks: one each, plus one per reopen.</summary>
    public int ConsensusRounds => Completed + Reopens;

    /// <summary>Tasks not yet in a final status.</summary>
    public int Open => BotSize - Completed - Failed;

    /// <summary>Every task reached a final status.</summary>
    public bool IsFinished => Exists && Open == 0;

    /// <summary>Nothing more will change: finished, or cancelled.</summary>
    public bool IsSettled => IsFinished || Cancelled;
}
