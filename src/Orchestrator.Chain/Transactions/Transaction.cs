using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Transactions;

/// <summary>
/// The unsigned content of a transaction. Which fee fields count depends on <see cref="Type"/>:
/// <see cref="GasPrice"/> for legacy and EIP-2930, <see cref="MaxPriorityFeePerGas"/> and
/// <see cref="MaxFeePerGas"/> for EIP-1559. A legacy transaction without <see cref="ChainId"/> is
/// pre-EIP-155 (v = 27/28, replayable on any chain).
/// </summary>
public sealed record Transaction
{
    /// <summary>The envelope type.</summary>
    public TransactionType Type { get; init; } = TransactionType.DynamicFee;

    /// <summary>The chain id; null only for a pre-EIP-155 legacy transaction.</summary>
    public BigInteger? ChainId { get; init; }

    /// <summary>The sender's nonce.</summary>
    public BigInteger Nonce { get; init; }

    /// <summary>Gas price in wei (legacy and EIP-2930).</summary>
    public BigInteger GasPrice { get; init; }

    /// <summary>Tip per gas in wei (EIP-1559).</summary>
    public BigInteger MaxPriorityFeePerGas { get; init; }

    /// <summary>Fee cap per gas in wei (EIP-1559).</summary>
    public BigInteger MaxFeePerGas { get; init; }

    /// <summary>Gas limit.</summary>
    public BigInteger GasLimit { get; init; }

    /// <summary>Recipient; null for contract creation.</summary>
    public Address? To { get; init; }

    /// <summary>Value in wei.</summary>
    public BigInteger Value { get; init; }

    /// <summary>Call data or init code.</summary>
    public byte[] Data { get; init; } = [];

    /// <summary>EIP-2930 access list (typed transactions only; must be empty for legacy).</summary>
    public IReadOnlyList<AccessListEntry> AccessList { get; init; } = [];
}
