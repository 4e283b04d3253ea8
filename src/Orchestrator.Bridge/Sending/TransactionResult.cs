using Orchestrator.Bridge.Storage;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Sending;

/// <summary>How a sent transaction ended.</summary>
/// <param name="Status">Confirmed, reverted, or dropped (its nonce was used by something else, or the node refused it).</param>
/// <param name="Hash">The mined hash.</param>
/// <param name="Block">The block it is in.</param>
/// <param name="GasUsed">Gas it used.</param>
/// <param name="Nonce">Its nonce.</param>
public sealed record TransactionResult(TrackedStatus Status, Hash32? Hash, long? Block, long GasUsed, long Nonce);

/// <summary>The node refused a transaction outright (not a network failure).</summary>
public sealed class TransactionRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransactionRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TransactionRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TransactionRefusedException()
    {
    }
}

/// <summary>
/// The node turned a broadcast away for now (its pool full, rate limited, or the nonce taken meanwhile):
/// the batch is signed again after a backoff, never rejected for it.
/// </summary>
public sealed class BroadcastDeferredException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BroadcastDeferredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BroadcastDeferredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BroadcastDeferredException()
    {
    }
}
