using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// The hub's state that matching reads, held in memory: registered owners, pools and consumed counts.
/// What a test (or a simulation) matches against, and what it compares with the contract's state.
/// </summary>
public sealed class InMemoryOrderLedger : IOrderLedger
{
    /// <summary>Registered apps and their owners.</summary>
    public Dictionary<Address, Address> Apps { get; } = [];

    /// <summary>Registered datasets and their owners.</summary>
    public Dictionary<Address, Address> Datasets { get; } = [];

    /// <summary>Registered pools (their owners' addresses).</summary>
    public HashSet<Address> Pools { get; } = [];

    /// <summary>Consumed counts by order digest.</summary>
    public Dictionary<Hash32, BigInteger> ConsumedCounts { get; } = [];

    /// <inheritdoc />
    public BigInteger Consumed(Hash32 orderDigest) => ConsumedCounts.GetValueOrDefault(orderDigest);

    /// <inheritdoc />
    public Address? AppOwner(Address app) => Apps.TryGetValue(app, out var owner) ? owner : null;

    /// <inheritdoc />
    public Address? DatasetOwner(Address dataset) => Datasets.TryGetValue(dataset, out var owner) ? owner : null;

    /// <inheritdoc />
    public bool IsPool(Address pool) => Pools.Contains(pool);

    /// <summary>Records a match as the hub does: every order's consumed count grows by the deal's volume.</summary>
    public void Apply(OrderMatch match, bool hasDataset)
    {
        ArgumentNullException.ThrowIfNull(match);
        foreach (var digest in hasDataset
                     ? new[] { match.AppDigest, match.DatasetDigest, match.WorkerpoolDigest, match.RequestDigest }
                     : [match.AppDigest, match.WorkerpoolDigest, match.RequestDigest])
        {
            ConsumedCounts[digest] = Consumed(digest) + match.Volume;
        }
    }
}
