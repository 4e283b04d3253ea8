using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Consensus;

/// <summary>
/// PoCo credibility voting for one task. <c>total</c> starts at 1; a group's value is the product of
/// its members' weights; consensus on h as soon as group[h]·trust &gt; total·(trust − 1), strictly.
/// Big integers throughout: products of weights overflow 64 bits quickly.
/// </summary>
public sealed class ConsensusTally
{
    private readonly Dictionary<Hash32, BigInteger> _groups;

    /// <summary>A fresh tally for a deal's requested trust.</summary>
    public ConsensusTally(int requestedTrust)
        : this(Math.Max(requestedTrust, 1), BigInteger.One, [])
    {
    }

    /// <summary>Restores a tally from stored values.</summary>
    public ConsensusTally(int trust, BigInteger total, Dictionary<Hash32, BigInteger> groups)
    {
        Trust = Math.Max(trust, 1);
        Total = total;
        _groups = groups;
    }

    /// <summary>max(requested trust, 1).</summary>
    public int Trust { get; }

    /// <summary>1 + the sum of all group values.</summary>
    public BigInteger Total { get; private set; }

    /// <summary>The value of every result hash's group.</summary>
    public IReadOnlyDictionary<Hash32, BigInteger> Groups => _groups;

    /// <summary>The value of <paramref name="hash"/>'s group (0 when nobody contributed it).</summary>
    public BigInteger GroupOf(Hash32 hash) => _groups.GetValueOrDefault(hash);

    /// <summary>Adds a contribution of weight <paramref name="weight"/> to <paramref name="hash"/>'s group.</summary>
    public void Add(Hash32 hash, int weight)
    {
        if (weight < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), "a contribution weighs at least 1");
        }

        var g = GroupOf(hash);
        var grown = BigInteger.Max(g, BigInteger.One) * weight;
        _groups[hash] = grown;
        Total += grown - g;
    }

    /// <summary>True when <paramref name="hash"/> satisfies the consensus test now.</summary>
    public bool HasConsensus(Hash32 hash) => Test(GroupOf(hash), Total, Trust);

    /// <summary>The hash that satisfies the test, if any (at most one can: the test needs more than half of total when trust ≥ 2).</summary>
    public Hash32? Winner()
    {
        foreach (var (hash, value) in _groups)
        {
            if (Test(value, Total, Trust))
            {
                return hash;
            }
        }

        return null;
    }

    /// <summary>Reopen: the winning group is rejected and removed from total.</summary>
    public void RemoveGroup(Hash32 hash)
    {
        var g = GroupOf(hash);
        Total -= g;
        _groups[hash] = BigInteger.Zero;
    }

    /// <summary>
    /// Whether another replicate must be handed out: mirrors the test on predicted weights —
    /// the best case is that every pending replicate (weights <paramref name="pendingWeights"/>)
    /// joins the largest group; hand out another only while that best case still fails.
    /// </summary>
    public bool NeedsMoreReplicas(IEnumerable<int> pendingWeights)
    {
        var pendingProduct = BigInteger.One;
        var anyPending = false;
        foreach (var weight in pendingWeights)
        {
            pendingProduct *= Math.Max(weight, 1);
            anyPending = true;
        }

        var best = BigInteger.Zero;
        foreach (var value in _groups.Values)
        {
            best = BigInteger.Max(best, value);
        }

        var bestGroup = anyPending ? BigInteger.Max(best, BigInteger.One) * pendingProduct : best;
        var bestTotal = Total + bestGroup - best;
        return !Test(bestGroup, bestTotal, Trust);
    }

    /// <summary>group·trust &gt; total·(trust − 1).</summary>
    public static bool Test(BigInteger group, BigInteger total, int trust)
        => group * trust > total * (trust - 1);
}
