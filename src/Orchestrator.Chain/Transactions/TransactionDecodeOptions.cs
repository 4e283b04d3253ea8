using System.Numerics;

namespace Orchestrator.Chain.Transactions;

/// <summary>What <see cref="TransactionDecoder"/> checks beyond the wire format.</summary>
public sealed record TransactionDecodeOptions
{
    /// <summary>Strict defaults: low s required, any chain id accepted.</summary>
    public static TransactionDecodeOptions Default { get; } = new();

    /// <summary>When set, a replay-protected or typed transaction for another chain is rejected.</summary>
    public BigInteger? ExpectedChainId { get; init; }

    /// <summary>
    /// Accept s above n/2. Only Frontier (before EIP-2, Homestead) allowed it; leave false for anything
    /// that will be sent to a live chain.
    /// </summary>
    public bool AllowHighS { get; init; }
}
