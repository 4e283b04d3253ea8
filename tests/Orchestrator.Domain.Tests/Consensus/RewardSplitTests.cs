using System.Numerics;
using CsCheck;
using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tests.Consensus;

public sealed class RewardSplitTests
{
    private static readonly BigInteger Ether = BigInteger.Pow(10, 18);

    private static Address Worker(int i)
    {
        var bytes = new byte[20];
        bytes[19] = (byte)i;
        bytes[0] = 0x42;
        return new Address(bytes);
    }

    [Fact]
    public void WinnersShareInProportionToFloorLog2OfWeight()
    {
        var price = 600 * Ether;
        var settlement = RewardSplit.Settle(price,
        [
            new Settlee(Worker(1), 2, 0, true),   // 1 share
            new Settlee(Worker(2), 4, 12, true),  // 2 shares
            new Settlee(Worker(3), 9, 30, true),  // 3 shares
        ]);

        var workersPart = price * 99 / 100;
        Assert.Equal(workersPart * 1 / 6, settlement.Workers[0].Reward);
        Assert.Equal(workersPart * 2 / 6, settlement.Workers[1].Reward);
        Assert.Equal(workersPart * 3 / 6, settlement.Workers[2].Reward);
        Assert.All(settlement.Workers, w => Assert.Equal(BigInteger.Zero, w.StakeSeized));
        Assert.All(settlement.Workers, w => Assert.True(w.Won));
        Assert.Equal(price - settlement.Workers.Aggregate(BigInteger.Zero, (a, w) => a + w.Reward), settlement.SchedulerReward);
        Assert.Equal(6 * Ether, settlement.SchedulerReward); // exactly 1 %: 594 ether divides by 6
    }

    [Fact]
    public void LosersStakesJoinTheRewardBeforeTheWorkersPartIsTaken()
    {
        var price = 1000 * Ether;
        var settlement = RewardSplit.Settle(price,
        [
            new Settlee(Worker(1), 2, 5, true),
            new Settlee(Worker(2), 2, 7, true),
            new Settlee(Worker(3), 3, 13, false),
        ]);

        var stake = 300 * Ether;
        Assert.Equal(stake, RewardSplit.WorkerStake(price));
        var loser = settlement.Workers[2];
        Assert.False(loser.Won);
        Assert.Equal(BigInteger.Zero, loser.Reward);
        Assert.Equal(stake, loser.StakeSeized);
        Assert.Equal(13, loser.ScoreBefore);

        // PoCo: (1000 + 300) × 99 % = 1287 shared by the two winners; the scheduler keeps 13.
        Assert.Equal(6435 * Ether / 10, settlement.Workers[0].Reward);
        Assert.Equal(6435 * Ether / 10, settlement.Workers[1].Reward);
        Assert.Equal(13 * Ether, settlement.SchedulerReward);
    }

    [Fact]
    public void ALoneContributorTakesTheWorkersPart()
    {
        var settlement = RewardSplit.Settle(100, [new Settlee(Worker(1), 2, 4, true)]);
        Assert.True(settlement.Workers[0].Won);
        Assert.Equal(new BigInteger(99), settlement.Workers[0].Reward);
        Assert.Equal(BigInteger.One, settlement.SchedulerReward);
    }

    [Fact]
    public void AContributorOfTheWinningHashThatNeverRevealedIsALoser()
    {
        var settlement = RewardSplit.Settle(1000,
        [
            new Settlee(Worker(1), 2, 3, true),
            new Settlee(Worker(2), 2, 3, false),
        ]);
        Assert.Equal(new BigInteger(1287), settlement.Workers[0].Reward); // (1000 + 300 seized) × 99 %
        Assert.Equal(new BigInteger(300), settlement.Workers[1].StakeSeized);
        Assert.False(settlement.Workers[1].Won);
        Assert.Equal(new BigInteger(13), settlement.SchedulerReward);
    }

    [Fact]
    public void SchedulerKeepsRoundingRemainders()
    {
        // 99 wei for three equal winners → 33 each, 1 wei to the scheduler; the scheduler's 1 % of 100 is 1.
        var settlement = RewardSplit.Settle(100,
        [
            new Settlee(Worker(1), 2, 0, true),
            new Settlee(Worker(2), 2, 0, true),
            new Settlee(Worker(3), 2, 0, true),
        ]);
        Assert.All(settlement.Workers, w => Assert.Equal(new BigInteger(33), w.Reward));
        Assert.Equal(BigInteger.One, settlement.SchedulerReward);

        var uneven = RewardSplit.Settle(101, [new Settlee(Worker(1), 2, 0, true), new Settlee(Worker(2), 4, 0, true)]);
        // workers' part = floor(101·99/100) = 99; shares 1 and 2 → 33 and 66; scheduler keeps 2.
        Assert.Equal(new BigInteger(33), uneven.Workers[0].Reward);
        Assert.Equal(new BigInteger(66), uneven.Workers[1].Reward);
        Assert.Equal(new BigInteger(2), uneven.SchedulerReward);
    }

    [Fact]
    public void SchedulerRatioMustBeAPercentage()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RewardSplit.Settle(100, [], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RewardSplit.Settle(100, [], 101));
    }

    [Fact]
    public void TeeSettlementHasNoStake()
    {
        var settlement = RewardSplit.SettleTee(1000 * Ether, Worker(1), 17);
        var worker = Assert.Single(settlement.Workers);
        Assert.Equal(990 * Ether, worker.Reward);
        Assert.Equal(BigInteger.Zero, worker.StakeSeized);
        Assert.Equal(17, worker.ScoreBefore);
        Assert.True(worker.Won);
        Assert.Equal(10 * Ether, settlement.SchedulerReward);
    }

    [Fact]
    public void MoneyIsConservedAndEveryRuleHolds()
    {
        var genSettlee = Gen.Select(Gen.Int[1, 120], Gen.Int[0, 400], Gen.Bool);
        var gen = Gen.Select(Gen.Long[0, long.MaxValue], Gen.Int[0, 1_000_000], genSettlee.Array[0, 9], Gen.Int[0, 100]);
        gen.Sample((priceLow, priceHigh, people, ratio) =>
        {
            var price = (new BigInteger(priceHigh) * long.MaxValue) + priceLow;
            var settlees = people.Select((p, i) => new Settlee(Worker(i), p.Item1, p.Item2, p.Item3)).ToList();
            var settlement = RewardSplit.Settle(price, settlees, ratio);

            var stake = price * 30 / 100;
            var total = price + (stake * settlees.Count(s => !s.RevealedWinner));
            var workersPart = total * (100 - ratio) / 100;
            var totalShares = settlees.Where(s => s.RevealedWinner).Sum(s => s.Weight <= 1 ? 0 : (int)Math.Floor(Math.Log2(s.Weight)));
            var winners = settlees.Count(s => s.RevealedWinner);
            var seized = BigInteger.Zero;
            var rewarded = BigInteger.Zero;

            Assert.Equal(settlees.Count, settlement.Workers.Count);
            for (var i = 0; i < settlees.Count; i++)
            {
                var s = settlees[i];
                var w = settlement.Workers[i];
                Assert.Equal(s.Worker, w.Worker);
                Assert.Equal(s.Score, w.ScoreBefore);
                Assert.Equal(s.RevealedWinner, w.Won);
                if (s.RevealedWinner)
                {
                    var shares = s.Weight <= 1 ? 0 : (int)Math.Floor(Math.Log2(s.Weight));
                    Assert.Equal(totalShares == 0 ? BigInteger.Zero : workersPart * shares / totalShares, w.Reward);
                    Assert.Equal(BigInteger.Zero, w.StakeSeized);
                }
                else
                {
                    Assert.Equal(BigInteger.Zero, w.Reward);
                    Assert.Equal(stake, w.StakeSeized);
                }

                seized += w.StakeSeized;
                rewarded += w.Reward;
                Assert.True(w.Reward >= 0);
            }

            // Conservation: nothing created, nothing lost.
            Assert.Equal(price + seized, rewarded + settlement.SchedulerReward);

            // The scheduler keeps its ratio of price and seized stakes, and rounding remainders (less than one wei per winner).
            var floor = total - workersPart;
            Assert.True(settlement.SchedulerReward >= floor);
            if (totalShares > 0)
            {
                Assert.True(settlement.SchedulerReward - floor < winners, $"remainder {settlement.SchedulerReward - floor} with {winners} winners");
            }
            else
            {
                Assert.Equal(price + seized, settlement.SchedulerReward);
            }
        }, iter: 3_000);
    }
}
