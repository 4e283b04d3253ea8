using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Rpc;

/// <summary>Arguments of eth_call and eth_estimateGas; null members are omitted.</summary>
public sealed record CallRequest
{
    /// <summary>Sender.</summary>
    public Address? From { get; init; }

    /// <summary>Recipient (null to estimate a contract creation).</summary>
    public Address? To { get; init; }

    /// <summary>Gas limit.</summary>
    public BigInteger? Gas { get; init; }

    /// <summary>Legacy gas price.</summary>
    public BigInteger? GasPrice { get; init; }

    /// <summary>EIP-1559 fee cap.</summary>
    public BigInteger? MaxFeePerGas { get; init; }

    /// <summary>EIP-1559 tip.</summary>
    public BigInteger? MaxPriorityFeePerGas { get; init; }

    /// <summary>Wei sent.</summary>
    public BigInteger? Value { get; init; }

    /// <summary>Call data.</summary>
    public byte[]? Data { get; init; }
}

/// <summary>eth_feeHistory result.</summary>
/// <param name="OldestBlock">The first block of the range.</param>
/// <param name="BaseFeePerGas">Base fee of each block, plus the next block's (one more entry than blocks).</param>
/// <param name="GasUsedRatio">Gas used / gas limit per block.</param>
/// <param name="Reward">Per block, the tip at each requested percentile (empty when none were asked).</param>
public sealed record FeeHistory(
    BigInteger OldestBlock,
    IReadOnlyList<BigInteger> BaseFeePerGas,
    IReadOnlyList<double> GasUsedRatio,
    IReadOnlyList<IReadOnlyList<BigInteger>> Reward);

/// <summary>One log entry from a receipt or eth_getLogs.</summary>
public sealed record LogEntry(
    Address Address,
    IReadOnlyList<Hash32> Topics,
    byte[] Data,
    BigInteger? BlockNumber,
    Hash32? BlockHash,
    Hash32? TransactionHash,
    BigInteger? TransactionIndex,
    BigInteger? LogIndex,
    bool Removed);

/// <summary>eth_getTransactionReceipt result.</summary>
public sealed record TransactionReceipt(
    Hash32 TransactionHash,
    BigInteger BlockNumber,
    Hash32 BlockHash,
    BigInteger TransactionIndex,
    Address From,
    Address? To,
    Address? ContractAddress,
    bool Succeeded,
    BigInteger GasUsed,
    BigInteger CumulativeGasUsed,
    BigInteger? EffectiveGasPrice,
    IReadOnlyList<LogEntry> Logs);

/// <summary>The header fields of eth_getBlockByNumber the bridge uses.</summary>
public sealed record BlockHeader(
    BigInteger Number,
    Hash32 Hash,
    Hash32 ParentHash,
    BigInteger Timestamp,
    BigInteger GasLimit,
    BigInteger GasUsed,
    BigInteger? BaseFeePerGas);

/// <summary>
/// eth_getLogs filter. <see cref="Topics"/> is positional: a null position matches anything, a
/// list matches any of its values.
/// </summary>
public sealed record LogFilter
{
    /// <summary>First block (inclusive).</summary>
    public BlockParameter? FromBlock { get; init; }

    /// <summary>Last block (inclusive).</summary>
    public BlockParameter? ToBlock { get; init; }

    /// <summary>Emitting contracts; empty means any.</summary>
    public IReadOnlyList<Address> Addresses { get; init; } = [];

    /// <summary>Topic constraints by position.</summary>
    public IReadOnlyList<IReadOnlyList<Hash32>?> Topics { get; init; } = [];
}

/// <summary>One call of a batch.</summary>
/// <param name="Method">The JSON-RPC method.</param>
/// <param name="Parameters">The params array (built with the System.Text.Json.Nodes types).</param>
public sealed record JsonRpcCall(string Method, System.Text.Json.Nodes.JsonArray Parameters);

/// <summary>The answer to one call of a batch: a result or an error.</summary>
public sealed record JsonRpcResponse(string Method, System.Text.Json.JsonElement? Result, JsonRpcException? Error)
{
    /// <summary>The result, or the error thrown.</summary>
    public System.Text.Json.JsonElement GetResultOrThrow() => Error is not null ? throw Error : Result ?? default;
}
