using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Transactions;

/// <summary>A signed transaction as it travels on the wire, with what can be derived from it.</summary>
/// <param name="Transaction">The signed content.</param>
/// <param name="V">The stored v: 27/28 (pre-EIP-155), chainId·2+35+yParity (EIP-155) or yParity (typed).</param>
/// <param name="Signature">r, s (32 bytes each) and the recovery id (yParity).</param>
/// <param name="Raw">The serialised signed transaction (the bytes given to eth_sendRawTransaction).</param>
/// <param name="Hash">keccak256 of <paramref name="Raw"/>: the transaction hash.</param>
/// <param name="From">The sender recovered from the signature.</param>
public sealed record SignedTransaction(
    Transaction Transaction,
    BigInteger V,
    Signature Signature,
    byte[] Raw,
    Hash32 Hash,
    Address From);
