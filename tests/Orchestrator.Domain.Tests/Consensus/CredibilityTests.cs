using Orchestrator.Domain.Consensus;

namespace Orchestrator.Domain.Tests.Consensus;

public sealed class CredibilityTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    [InlineData(9, 2)]
    [InlineData(11, 2)]
    [InlineData(12, 3)]
    [InlineData(14, 3)]
    [InlineData(15, 4)]
    [InlineData(30, 9)]
    [InlineData(31, 9)]
    [InlineData(33, 10)]
    [InlineData(300, 99)]
    [InlineData(-5, 2)]
    public void WeightIsMaxOfScoreOverThreeAndThreeMinusOne(int score, int weight)
        => Assert.Equal(weight, Credibility.Weight(score));

    [Fact]
    public void WeightMatchesFormulaForAllSmallScores()
    {
        for (var score = 0; score < 2_000; score++)
        {
            Assert.Equal(Math.Max(score / 3, 3) - 1, Credibility.Weight(score));
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(7, 2)]
    [InlineData(8, 3)]
    [InlineData(9, 3)]
    [InlineData(1024, 10)]
    public void RewardSharesAreFloorLog2OfWeight(int weight, int shares)
        => Assert.Equal(shares, Credibility.RewardShares(weight));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(10, 6)]
    [InlineData(30, 20)]
    [InlineData(31, 20)]
    public void LoserScoreIsFloorTwoThirds(int score, int after)
        => Assert.Equal(after, Credibility.ScoreAfterLoss(score));

    [Fact]
    public void LoserScoreDoesNotOverflowForHugeScores()
        => Assert.Equal((int)(int.MaxValue * 2L / 3), Credibility.ScoreAfterLoss(int.MaxValue));

    [Fact]
    public void WinnerGainsOnlyWithMoreThanOneContributor()
    {
        Assert.Equal(5, Credibility.ScoreAfterWin(5, 1));
        Assert.Equal(6, Credibility.ScoreAfterWin(5, 2));
        Assert.Equal(6, Credibility.ScoreAfterWin(5, 7));
    }
}
