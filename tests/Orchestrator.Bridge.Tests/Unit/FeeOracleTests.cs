using System.Numerics;
using Orchestrator.Bridge.Sending;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Bridge.Tests.Unit;

public sealed class FeeOracleTests
{
    private static readonly BigInteger Gwei = 1_000_000_000;

    [Fact]
    public void CapIsTwiceTheNextBaseFeePlusTheMedianTip()
    {
        var history = new FeeHistory(1, [10 * Gwei, 12 * Gwei, 14 * Gwei], [0.5, 0.9], [[1 * Gwei], [3 * Gwei], [2 * Gwei]]);
        var fees = FeeOracle.FromHistory(history, BigInteger.Zero, 1_000 * Gwei);
        Assert.Equal(2 * Gwei, fees.MaxPriorityFeePerGas);
        Assert.Equal((2 * 14 * Gwei) + (2 * Gwei), fees.MaxFeePerGas);
    }

    [Fact]
    public void EmptyBlocksStillGetTheMinimumTip()
    {
        var history = new FeeHistory(1, [7, 7], [0], [[0]]);
        Assert.Equal(Gwei, FeeOracle.FromHistory(history, Gwei, 1_000 * Gwei).MaxPriorityFeePerGas);
    }

    [Fact]
    public void ABaseFeeAboveTheCapIsRefusedNotPaid()
    {
        var history = new FeeHistory(1, [600 * Gwei], [1], []);
        var ex = Assert.Throws<FeeCapExceededException>(() => FeeOracle.FromHistory(history, Gwei, 500 * Gwei));
        Assert.Contains("MaxFeeCapGwei", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReplacementRaisesBothFeesByAtLeastThePercentAndFollowsTheMarket()
    {
        var old = new Fees(10 * Gwei, 100 * Gwei);
        var bumped = old.Bump(15, new Fees(1, 1));
        Assert.Equal(11_500_000_000, bumped.MaxPriorityFeePerGas);
        Assert.Equal(115 * Gwei, bumped.MaxFeePerGas);
        var market = old.Bump(15, new Fees(20 * Gwei, 300 * Gwei));
        Assert.Equal(20 * Gwei, market.MaxPriorityFeePerGas);
        Assert.Equal(300 * Gwei, market.MaxFeePerGas);
    }
}
