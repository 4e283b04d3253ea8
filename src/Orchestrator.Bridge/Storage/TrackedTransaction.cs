using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>Where a bridge transaction stands.</summary>
public enum TrackedStatus
{
    /// <summary>Signed and (about to be) broadcast; not confirmed.</summary>
    Pending = 0,

    /// <summary>Mined with the required confirmations.</summary>
    Confirmed = 1,

    /// <summary>Mined but reverted: its tasks go back to the batcher.</summary>
    Reverted = 2,

    /// <summary>Refused by the node at its first broadcast; its nonce was given back.</summary>
    Dropped = 3,
}

/// <summary>
/// One attempt at one nonce of one sender account and everything sent under it: every replacement's hash (any of
/// them may be the one mined), the latest signed bytes (to broadcast again after a node restart)
/// and the tasks it settles (so a redelivered event waits for it instead of sending again).
/// </summary>
public sealed record TrackedTransaction
{
    /// <summary>The chain.</summary>
    public required long ChainId { get; init; }

    /// <summary>The sender.</summary>
    public required Address Account { get; init; }

    /// <summary>The nonce.</summary>
    public required long Nonce { get; init; }

    /// <summary>Which use of the nonce this is (0 first; a nonce given back and used again gets the next), assigned by the store.</summary>
    public int Attempt { get; init; }

    /// <summary>"finalize" or "claim".</summary>
    public required string Kind { get; init; }

    /// <summary>The hub's address.</summary>
    public required Address To { get; init; }

    /// <summary>Call data (kept to re-sign a replacement after a restart).</summary>
    public required byte[] Data { get; init; }

    /// <summary>Gas limit.</summary>
    public required BigInteger GasLimit { get; init; }

    /// <summary>Fee cap of the latest signature.</summary>
    public required BigInteger MaxFeePerGas { get; init; }

    /// <summary>Tip of the latest signature.</summary>
    public required BigInteger MaxPriorityFeePerGas { get; init; }

    /// <summary>Every hash broadcast under this nonce, oldest first.</summary>
    public required IReadOnlyList<Hash32> Hashes { get; init; }

    /// <summary>The latest signed transaction.</summary>
    public required byte[] Raw { get; init; }

    /// <summary>The tasks it settles.</summary>
    public required IReadOnlyList<Hash32> TaskIds { get; init; }

    /// <summary>Its status.</summary>
    public TrackedStatus Status { get; init; }

    /// <summary>When the latest signature was broadcast.</summary>
    public required DateTimeOffset SentAt { get; init; }

    /// <summary>The block it was confirmed in.</summary>
    public long? Block { get; init; }

    /// <summary>The hash that was mined.</summary>
    public Hash32? MinedHash { get; init; }

    /// <summary>Gas used, once mined.</summary>
    public long? GasUsed { get; init; }
}
