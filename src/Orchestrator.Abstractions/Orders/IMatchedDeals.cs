using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Abstractions.Orders;

/// <summary>
/// Where a deal matched through the order book is created: off chain, the deal grain (the embedded default); with the
/// chain bridge on, the hub's <c>matchOrders</c>, which re-checks every signature, rule and volume itself and creates
/// the deal the listener then runs. The API has already matched the orders by the Domain's rules before either is asked.
/// </summary>
public interface IMatchedDeals
{
    /// <summary>
    /// The creator's own verdict before anything is stored (the hub's simulation of the match): null when it would
    /// create the deal, else one line starting with the rule it names (an <see cref="OrderRule"/> or the hub's
    /// <c>InsufficientBalance</c>).
    /// </summary>
    Task<string?> CheckAsync(OrderSet orders, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the deal <paramref name="spec"/> describes; returns the transaction that created it (null off chain).
    /// Throws <see cref="MatchedDealException"/> with a one-line reason when it could not be created.
    /// </summary>
    Task<Hash32?> CreateAsync(OrderSet orders, DealSpecMessage spec, CancellationToken cancellationToken);
}

/// <summary>A matched deal that could not be created (the transaction reverted or was dropped, the deal grain refused it).</summary>
public sealed class MatchedDealException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MatchedDealException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MatchedDealException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MatchedDealException()
    {
    }
}
