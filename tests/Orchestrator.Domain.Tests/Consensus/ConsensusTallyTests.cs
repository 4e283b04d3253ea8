using System.Numerics;
using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tests.Consensus;

public sealed class ConsensusTallyTests
{
    private const int Fresh = 2;
    private static readonly Hash32 H = TestKit.SmallHash(1);
    private static readonly Hash32 Other = TestKit.SmallHash(2);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-3)]
    public void TrustIsAtLeastOneAndOneContributionSuffices(int requested)
    {
        var tally = new ConsensusTally(requested);
        Assert.Equal(1, tally.Trust);
        Assert.Equal(BigInteger.One, tally.Total);
        Assert.Null(tally.Winner());
        tally.Add(H, Fresh);
        Assert.Equal(H, tally.Winner());
        Assert.True(tally.HasConsensus(H));
    }

    [Fact]
    public void TrustThreeNeedsTwoAgreeingFreshWorkers()
    {
        var tally = new ConsensusTally(3);
        tally.Add(H, Fresh);
        Assert.Null(tally.Winner()); // 2·3 = 6 is not > 3·2 = 6
        tally.Add(Other, Fresh);
        Assert.Null(tally.Winner());
        Assert.Equal(new BigInteger(5), tally.Total);

        var agreeing = new ConsensusTally(3);
        agreeing.Add(H, Fresh);
        agreeing.Add(H, Fresh);
        Assert.Equal(new BigInteger(4), agreeing.GroupOf(H));
        Assert.Equal(new BigInteger(5), agreeing.Total);
        Assert.Equal(H, agreeing.Winner()); // 4·3 = 12 > 5·2 = 10
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void TrustFiveToEightNeedsThreeAgreeingFreshWorkers(int trust)
    {
        var tally = new ConsensusTally(trust);
        tally.Add(H, Fresh);
        tally.Add(H, Fresh);
        Assert.Null(tally.Winner());
        tally.Add(H, Fresh);
        Assert.Equal(H, tally.Winner());
    }

    [Fact]
    public void TrustNineNeedsFourAgreeingFreshWorkers()
    {
        var tally = new ConsensusTally(9);
        for (var i = 0; i < 3; i++) tally.Add(H, Fresh);
        Assert.Null(tally.Winner()); // 8·9 = 72 is not > 9·8 = 72
        tally.Add(H, Fresh);
        Assert.Equal(H, tally.Winner());
    }

    [Fact]
    public void ADissentingContributionRaisesTheBar()
    {
        var tally = new ConsensusTally(3);
        tally.Add(H, Fresh);
        tally.Add(Other, Fresh);
        tally.Add(H, Fresh);
        Assert.Null(tally.Winner()); // 4·3 = 12 is not > 7·2 = 14
        tally.Add(H, Fresh);
        Assert.Equal(H, tally.Winner()); // 8·3 = 24 > 11·2 = 22
        Assert.False(tally.HasConsensus(Other));
    }

    [Fact]
    public void GroupsAreProductsAndTotalIsOnePlusTheirSum()
    {
        var tally = new ConsensusTally(4);
        tally.Add(H, 3);
        tally.Add(H, 9);
        tally.Add(Other, 2);
        Assert.Equal(new BigInteger(27), tally.GroupOf(H));
        Assert.Equal(new BigInteger(2), tally.GroupOf(Other));
        Assert.Equal(new BigInteger(30), tally.Total);
        Assert.Equal(BigInteger.Zero, tally.GroupOf(TestKit.SmallHash(9)));
    }

    [Fact]
    public void HeavyWeightsDoNotOverflow()
    {
        var tally = new ConsensusTally(1000);
        for (var i = 0; i < 200; i++)
        {
            tally.Add(H, int.MaxValue);
        }

        var expected = BigInteger.Pow(int.MaxValue, 200);
        Assert.Equal(expected, tally.GroupOf(H));
        Assert.Equal(expected + 1, tally.Total);
        Assert.True(tally.Total > ulong.MaxValue);
        Assert.Equal(H, tally.Winner());

        tally.Add(Other, int.MaxValue);
        Assert.Equal(expected + 1 + int.MaxValue, tally.Total);
    }

    [Fact]
    public void ABelowThresholdProductOverflowing64BitsIsStillRefused()
    {
        // Two huge equal groups: neither has more than half, whatever 64-bit wrap-around would say.
        var tally = new ConsensusTally(3);
        for (var i = 0; i < 10; i++)
        {
            tally.Add(H, 1 << 20);
            tally.Add(Other, 1 << 20);
        }

        Assert.Null(tally.Winner());
        Assert.False(tally.HasConsensus(H));
        Assert.False(tally.HasConsensus(Other));
    }

    [Fact]
    public void RemoveGroupRejectsTheWinnerAndTakesItOutOfTotal()
    {
        var tally = new ConsensusTally(3);
        tally.Add(Other, Fresh);
        tally.Add(H, Fresh);
        tally.Add(H, Fresh);
        tally.Add(H, Fresh);
        Assert.Equal(H, tally.Winner());
        Assert.Equal(new BigInteger(11), tally.Total);

        tally.RemoveGroup(H);
        Assert.Equal(new BigInteger(3), tally.Total);
        Assert.Equal(BigInteger.Zero, tally.GroupOf(H));
        Assert.Null(tally.Winner());

        // The rest of the vote continues as if the removed group never existed.
        tally.Add(Other, Fresh);
        Assert.Equal(new BigInteger(4), tally.GroupOf(Other));
        Assert.Equal(new BigInteger(5), tally.Total);
        Assert.Equal(Other, tally.Winner());

        // The removed hash starts a new group from scratch.
        tally.Add(H, Fresh);
        Assert.Equal(new BigInteger(2), tally.GroupOf(H));
        Assert.Equal(new BigInteger(7), tally.Total);
    }

    [Fact]
    public void AddRejectsNonPositiveWeights()
    {
        var tally = new ConsensusTally(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Add(H, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Add(H, -2));
        Assert.Equal(BigInteger.One, tally.Total);
        Assert.Empty(tally.Groups);
    }

    [Fact]
    public void NeedsMoreReplicasForTrustThreeWithFreshWorkers()
    {
        var tally = new ConsensusTally(3);
        Assert.True(tally.NeedsMoreReplicas([]));
        Assert.True(tally.NeedsMoreReplicas([Fresh]));
        Assert.False(tally.NeedsMoreReplicas([Fresh, Fresh]));

        tally.Add(H, Fresh);
        Assert.True(tally.NeedsMoreReplicas([]));
        Assert.False(tally.NeedsMoreReplicas([Fresh]));

        tally.Add(Other, Fresh);
        Assert.True(tally.NeedsMoreReplicas([Fresh]));     // 4·3 = 12 is not > 7·2
        Assert.False(tally.NeedsMoreReplicas([Fresh, Fresh])); // 8·3 = 24 > 11·2
    }

    [Fact]
    public void NeedsNoMoreReplicasOnceConsensusIsReached()
    {
        var tally = new ConsensusTally(1);
        tally.Add(H, Fresh);
        Assert.False(tally.NeedsMoreReplicas([]));
    }

    [Fact]
    public void StoredTallyRestoresTheSameDecisions()
    {
        var tally = new ConsensusTally(3);
        tally.Add(H, Fresh);
        tally.Add(Other, 4);
        var restored = new ConsensusTally(tally.Trust, tally.Total, tally.Groups.ToDictionary(g => g.Key, g => g.Value));
        restored.Add(H, Fresh);
        tally.Add(H, Fresh);
        Assert.Equal(tally.Total, restored.Total);
        Assert.Equal(tally.Winner(), restored.Winner());
    }
}
