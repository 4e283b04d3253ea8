using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Tasks;

/// <summary>What a task inherits from its deal: everything its rules depend on.</summary>
/// <param name="DealId">The deal.</param>
/// <param name="Index">The task index (botFirst ≤ index &lt; botFirst + botSize).</param>
/// <param name="Trust">The requested trust (consensus uses max(trust, 1)).</param>
/// <param name="Timeref">The category's reference time.</param>
/// <param name="ContributionDeadline">startTime + 7·timeref.</param>
/// <param name="FinalDeadline">startTime + 10·timeref.</param>
/// <param name="Tag">The TEE tag.</param>
/// <param name="TaskPrice">Workerpool price of the task (wei).</param>
public sealed record TaskTerms(
    Hash32 DealId,
    long Index,
    int Trust,
    TimeSpan Timeref,
    DateTimeOffset ContributionDeadline,
    DateTimeOffset FinalDeadline,
    TeeTag Tag,
    BigInteger TaskPrice)
{
    /// <summary>TEE fast path: one enclave-signed contribution completes the task.</summary>
    public bool IsTeeFastPath => Tag.RequiresTee && Trust <= 1;

    /// <summary>The deal's callback contract, or the zero address (<see cref="DealSpec.Callback"/>).</summary>
    public Address Callback { get; init; } = Address.Zero;

    /// <summary>True when the deal names a callback: the result digest is then keccak256 of the task's callback data.</summary>
    public bool HasCallback => !Callback.IsZero;

    /// <summary>The terms of the task at <paramref name="offset"/> of <paramref name="deal"/>.</summary>
    public static TaskTerms For(DealSpec deal, Category category, int offset) => new(
        deal.DealId,
        deal.BotFirst + offset,
        deal.Trust,
        category.Timeref,
        Deadlines.Contribution(deal.StartTime, category.Timeref),
        Deadlines.Final(deal.StartTime, category.Timeref),
        deal.Tag,
        deal.TaskPrice)
    {
        Callback = deal.Callback,
    };
}
