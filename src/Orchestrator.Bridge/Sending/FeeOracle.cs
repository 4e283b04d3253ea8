using System.Numerics;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Bridge.Sending;

/// <summary>EIP-1559 fees for the next block.</summary>
/// <param name="MaxPriorityFeePerGas">The tip.</param>
/// <param name="MaxFeePerGas">The cap: twice the next base fee plus the tip (survives six full blocks of +12.5 %).</param>
public sealed record Fees(BigInteger MaxPriorityFeePerGas, BigInteger MaxFeePerGas)
{
    /// <summary>A replacement's fees: both raised by <paramref name="percent"/> (rounded up), and never below <paramref name="floor"/>.</summary>
    public Fees Bump(int percent, Fees floor)
    {
        ArgumentNullException.ThrowIfNull(floor);
        var tip = BigInteger.Max((MaxPriorityFeePerGas * (100 + percent) + 99) / 100, floor.MaxPriorityFeePerGas);
        var cap = BigInteger.Max((MaxFeePerGas * (100 + percent) + 99) / 100, floor.MaxFeePerGas);
        return new Fees(tip, BigInteger.Max(cap, tip));
    }
}

/// <summary>Reads eth_feeHistory: the next block's base fee and a percentile of recent tips.</summary>
public sealed class FeeOracle(EthereumRpcClient rpc, BridgeOptions options)
{
    private static readonly BigInteger Gwei = 1_000_000_000;

    /// <summary>The fees to offer now.</summary>
    public async Task<Fees> CurrentAsync(CancellationToken cancellationToken)
    {
        var history = await rpc.FeeHistoryAsync(options.FeeHistoryBlocks, BlockParameter.Latest, [options.TipPercentile], cancellationToken).ConfigureAwait(false);
        return FromHistory(history, options.MinTipWei, MaxCap(options));
    }

    /// <summary>The pure rule: next base fee is the history's last entry; the tip is the median of the blocks' percentile rewards, at least the floor.</summary>
    public static Fees FromHistory(FeeHistory history, BigInteger minTip, BigInteger maxCap)
    {
        ArgumentNullException.ThrowIfNull(history);
        var nextBase = history.BaseFeePerGas.Count > 0 ? history.BaseFeePerGas[^1] : BigInteger.Zero;
        var rewards = history.Reward.Where(r => r.Count > 0).Select(r => r[0]).Order().ToList();
        var tip = rewards.Count == 0 ? BigInteger.Zero : rewards[rewards.Count / 2];
        tip = BigInteger.Max(tip, minTip);
        var cap = (nextBase * 2) + tip;
        if (cap > maxCap)
        {
            throw new FeeCapExceededException($"the fee cap {cap} wei/gas (base fee {nextBase}) exceeds Orchestrator:Chain:MaxFeeCapGwei ({maxCap / Gwei} gwei); the bridge waits for cheaper blocks");
        }

        return new Fees(tip, cap);
    }

    /// <summary>The configured cap in wei.</summary>
    public static BigInteger MaxCap(BridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BigInteger(options.MaxFeeCapGwei * 1_000_000_000m);
    }
}

/// <summary>The chain's fees are above what the bridge may pay; it retries later.</summary>
public sealed class FeeCapExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FeeCapExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FeeCapExceededException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public FeeCapExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
