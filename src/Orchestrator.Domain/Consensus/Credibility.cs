using System.Numerics;

namespace Orchestrator.Domain.Consensus;

/// <summary>PoCo's worker weight and score rules.</summary>
public static class Credibility
{
    /// <summary>weight = max(score / 3, 3) − 1 (integer division): fresh workers weigh 2, score 12 → 3, score 30 → 9.</summary>
    public static int Weight(int score) => Math.Max(Math.Max(score, 0) / 3, 3) - 1;

    /// <summary>The reward share of a revealed winner: floor(log2(weight)).</summary>
    public static int RewardShares(int weight) => weight <= 1 ? 0 : BitOperations.Log2((uint)weight);

    /// <summary>A revealed winner gains one point, but only when the task had more than one contributor.</summary>
    public static int ScoreAfterWin(int score, int contributors) => contributors > 1 ? score + 1 : score;

    /// <summary>Any other contributor: score → floor(score·2/3).</summary>
    public static int ScoreAfterLoss(int score) => (int)((long)score * 2 / 3);
}
