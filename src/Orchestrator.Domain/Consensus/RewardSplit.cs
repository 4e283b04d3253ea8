using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Consensus;

/// <summary>A contributor as settlement sees it.</summary>
/// <param name="Worker">The worker.</param>
/// <param name="Weight">Its weight when it contributed.</param>
/// <param name="Score">Its score before settlement.</param>
/// <param name="RevealedWinner">True when it contributed the winning hash and revealed it.</param>
public sealed record Settlee(Address Worker, int Weight, int Score, bool RevealedWinner);

/// <summary>One worker's settlement.</summary>
/// <param name="Worker">The worker.</param>
/// <param name="Reward">Wei credited (0 for losers).</param>
/// <param name="StakeSeized">Wei of stake seized (0 for winners).</param>
/// <param name="ScoreBefore">Its score when it contributed (what its weight came from).</param>
/// <param name="Won">Revealed winner or not.</param>
/// <remarks>
/// No score after: the worker applies the task's outcome to its score as it is when the outcome
/// arrives (PoCo), which other tasks settled meanwhile may have changed, so any score computed here
/// would be a prediction, and a wrong one under concurrency.
/// </remarks>
public sealed record WorkerSettlement(Address Worker, BigInteger Reward, BigInteger StakeSeized, int ScoreBefore, bool Won);

/// <summary>The settlement of a completed task.</summary>
/// <param name="Workers">Every contributor.</param>
/// <param name="SchedulerReward">What the pool keeps: its ratio, the rounding remainder and seized stakes.</param>
public sealed record Settlement(IReadOnlyList<WorkerSettlement> Workers, BigInteger SchedulerReward);

/// <summary>
/// PoCo's reward rule for a completed task: every other contributor than the revealed winners loses
/// its stake, and the seized stakes join the price into the task's reward; the revealed winners get
/// their stake back and share the workers' part of that reward ∝ floor(log2(weight)); the scheduler
/// keeps the rest (its ratio and the rounding). The hub pays exactly this. Scores are not settled
/// here: each worker applies its outcome (<see cref="Workers.TaskOutcome"/>) to its current score.
/// </summary>
public static class RewardSplit
{
    /// <summary>Worker stake: 30 % of the workerpool price (PoCo's default; a pool may set its own on the hub).</summary>
    public const int WorkerStakePercent = 30;

    /// <summary>The scheduler's default ratio of the reward.</summary>
    public const int DefaultSchedulerRatioPercent = 1;

    /// <summary>The stake each contributor locks.</summary>
    public static BigInteger WorkerStake(BigInteger taskPrice, int stakePercent = WorkerStakePercent) => taskPrice * stakePercent / 100;

    /// <summary>Splits the reward of one completed task (its price and the seized stakes) among its contributors and the scheduler.</summary>
    public static Settlement Settle(BigInteger taskPrice, IReadOnlyList<Settlee> contributors, int schedulerRatioPercent = DefaultSchedulerRatioPercent, int stakePercent = WorkerStakePercent)
    {
        if (schedulerRatioPercent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(schedulerRatioPercent), "the scheduler ratio is a percentage");
        }

        if (stakePercent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(stakePercent), "the stake ratio is a percentage");
        }

        var stake = WorkerStake(taskPrice, stakePercent);
        var totalReward = taskPrice + (stake * contributors.Count(c => !c.RevealedWinner));
        var workersReward = totalReward * (100 - schedulerRatioPercent) / 100;
        var totalShares = contributors.Where(c => c.RevealedWinner).Sum(c => Credibility.RewardShares(c.Weight));
        var remaining = totalReward;
        var results = new List<WorkerSettlement>(contributors.Count);
        foreach (var c in contributors)
        {
            if (c.RevealedWinner)
            {
                var reward = totalShares == 0 ? BigInteger.Zero : workersReward * Credibility.RewardShares(c.Weight) / totalShares;
                remaining -= reward;
                results.Add(new WorkerSettlement(c.Worker, reward, BigInteger.Zero, c.Score, true));
            }
            else
            {
                results.Add(new WorkerSettlement(c.Worker, BigInteger.Zero, stake, c.Score, false));
            }
        }

        return new Settlement(results, remaining);
    }

    /// <summary>TEE fast path: one enclave-signed contribution, no stake and no score change; the worker gets the workers' part.</summary>
    public static Settlement SettleTee(BigInteger taskPrice, Address worker, int score, int schedulerRatioPercent = DefaultSchedulerRatioPercent)
    {
        var workersReward = taskPrice * (100 - schedulerRatioPercent) / 100;
        return new Settlement([new WorkerSettlement(worker, workersReward, BigInteger.Zero, score, true)], taskPrice - workersReward);
    }
}
