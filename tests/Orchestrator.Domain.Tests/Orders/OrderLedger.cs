using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Domain.Tests.Orders;

/// <summary>An in-memory hub state for matching: registered owners, pools and consumed counts.</summary>
internal sealed class OrderLedger : IOrderLedger
{
    public Dictionary<Address, Address> Apps { get; } = [];

    public Dictionary<Address, Address> Datasets { get; } = [];

    public HashSet<Address> Pools { get; } = [];

    public Dictionary<Hash32, BigInteger> ConsumedCounts { get; } = [];

    public BigInteger Consumed(Hash32 orderDigest) => ConsumedCounts.GetValueOrDefault(orderDigest);

    public Address? AppOwner(Address app) => Apps.TryGetValue(app, out var owner) ? owner : null;

    public Address? DatasetOwner(Address dataset) => Datasets.TryGetValue(dataset, out var owner) ? owner : null;

    public bool IsPool(Address pool) => Pools.Contains(pool);

    /// <summary>Records a match as the hub does: every order's consumed count grows by the deal's volume.</summary>
    public void Apply(OrderMatch match, bool hasDataset)
    {
        foreach (var digest in hasDataset
                     ? new[] { match.AppDigest, match.DatasetDigest, match.WorkerpoolDigest, match.RequestDigest }
                     : [match.AppDigest, match.WorkerpoolDigest, match.RequestDigest])
        {
            ConsumedCounts[digest] = Consumed(digest) + match.Volume;
        }
    }
}
