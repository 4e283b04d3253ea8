using System.Numerics;
using CsCheck;
using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tests.Consensus;

/// <summary>Property-based tests of PoCo's credibility voting, against a model recomputed here.</summary>
public sealed class ConsensusPropertyTests
{
    private const int Fresh = 2;

    /// <summary>A contribution: which of a small set of hashes, and the worker's score.</summary>
    private static readonly Gen<(int Hash, int Score)> GenContribution = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 60]);

    private static readonly Gen<(int Trust, (int Hash, int Score)[] Contributions)> GenVote =
        Gen.Select(Gen.Int[0, 12], GenContribution.Array[0, 12]);

    private static Hash32 HashOf(int i) => TestKit.SmallHash(i);

    /// <summary>The model: group = product of its members' weights, total = 1 + Σ groups.</summary>
    private static (Dictionary<int, BigInteger> Groups, BigInteger Total) Model(IEnumerable<(int Hash, int Weight)> contributions)
    {
        var groups = new Dictionary<int, BigInteger>();
        foreach (var (hash, weight) in contributions)
        {
            groups[hash] = groups.GetValueOrDefault(hash, BigInteger.One) * weight;
        }

        return (groups, BigInteger.One + groups.Values.Aggregate(BigInteger.Zero, (a, b) => a + b));
    }

    private static bool Passes(BigInteger group, BigInteger total, int trust) => group * trust > total * (trust - 1);

    private static int ModelWeight(int score) => Math.Max(score / 3, 3) - 1;

    [Fact]
    public void NoConsensusIsEverDeclaredBelowTheRequiredCredibility()
    {
        GenVote.Sample((requested, contributions) =>
        {
            var trust = Math.Max(requested, 1);
            var tally = new ConsensusTally(requested);
            var seen = new List<(int Hash, int Weight)>();
            foreach (var (hash, score) in contributions)
            {
                tally.Add(HashOf(hash), Credibility.Weight(score));
                seen.Add((hash, ModelWeight(score)));
                var (groups, total) = Model(seen);

                Assert.Equal(total, tally.Total);
                foreach (var (h, g) in groups)
                {
                    Assert.Equal(g, tally.GroupOf(HashOf(h)));
                    Assert.Equal(Passes(g, total, trust), tally.HasConsensus(HashOf(h)));
                }

                var winner = tally.Winner();
                if (winner is { } w)
                {
                    var h = Enumerable.Range(0, 4).Single(i => HashOf(i) == w);
                    Assert.True(groups.ContainsKey(h));
                    Assert.True(groups[h] * trust > total * (trust - 1), $"winner {h} with group {groups[h]} of total {total} at trust {trust}");
                }
                else
                {
                    Assert.DoesNotContain(groups, g => Passes(g.Value, total, trust));
                }
            }
        }, iter: 2_000);
    }

    [Fact]
    public void AtTrustTwoOrMoreAtMostOneHashEverPasses()
    {
        GenVote.Where(v => v.Trust >= 2).Sample((trust, contributions) =>
        {
            var tally = new ConsensusTally(trust);
            foreach (var (hash, score) in contributions)
            {
                tally.Add(HashOf(hash), Credibility.Weight(score));
                Assert.True(Enumerable.Range(0, 4).Count(i => tally.HasConsensus(HashOf(i))) <= 1);
            }
        }, iter: 1_000);
    }

    [Fact]
    public void ConsensusIsStableUnderTheOrderOfContributions()
    {
        var gen = Gen.Select(GenVote, Gen.Int);
        gen.Sample((vote, seed) =>
        {
            var (trust, contributions) = vote;
            var shuffled = contributions.ToArray();
            new Random(seed).Shuffle(shuffled);

            var a = new ConsensusTally(trust);
            var b = new ConsensusTally(trust);
            foreach (var (hash, score) in contributions) a.Add(HashOf(hash), Credibility.Weight(score));
            foreach (var (hash, score) in shuffled) b.Add(HashOf(hash), Credibility.Weight(score));

            Assert.Equal(a.Total, b.Total);
            Assert.Equal(a.Groups.OrderBy(g => g.Key), b.Groups.OrderBy(g => g.Key));
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(a.HasConsensus(HashOf(i)), b.HasConsensus(HashOf(i)));
            }

            // At trust ≥ 2 the winner is unique, so it cannot depend on the order. (At trust 1 every
            // contributed hash passes; the protocol closes contributions at the first one.)
            if (a.Trust >= 2)
            {
                Assert.Equal(a.Winner(), b.Winner());
            }
        }, iter: 2_000);
    }

    [Fact]
    public void HonestMajoritiesWin()
    {
        // n contributors, m > n/2 of them honest (hash 0), the k = n − m others split over hashes 1..3.
        // Any split of k fresh dissenters sums to at most 2^k (0 when k = 0), so the honest group 2^m
        // reaches consensus whenever (trust − 1)·(1 + 2^k) < 2^m: pick trust in [2, that bound].
        var gen =
            from n in Gen.Int[1, 14]
            from m in Gen.Int[(n / 2) + 1, n]
            from dissent in Gen.Int[1, 3].Array[n - m]
            let k = n - m
            let maxTrust = (int)BigInteger.Min(1_000, ((BigInteger.Pow(2, m) - 1) / (1 + (k == 0 ? 0 : BigInteger.Pow(2, k)))) + 1)
            from trust in Gen.Int[2, Math.Max(2, maxTrust)]
            from seed in Gen.Int
            select (m, dissent, trust, seed, maxTrust);

        gen.Sample((m, dissent, trust, seed, maxTrust) =>
        {
            Assert.True(maxTrust >= 2);
            var order = Enumerable.Repeat(0, m).Concat(dissent).ToArray();
            new Random(seed).Shuffle(order);
            var tally = new ConsensusTally(trust);
            foreach (var hash in order)
            {
                tally.Add(HashOf(hash), Fresh);
            }

            Assert.Equal(HashOf(0), tally.Winner());
            Assert.True(tally.HasConsensus(HashOf(0)));
            for (var i = 1; i < 4; i++)
            {
                Assert.False(tally.HasConsensus(HashOf(i)));
            }
        }, iter: 2_000);
    }

    [Fact]
    public void HonestMajorityOfOneMoreThanHalfAtTrustThree()
    {
        // The smallest interesting case: 2 honest, 1 dissenting at trust 3 is not yet enough
        // (4·3 = 12 vs 7·2 = 14), 3 honest vs 1 is (8·3 = 24 > 11·2 = 22).
        var tally = new ConsensusTally(3);
        tally.Add(HashOf(0), Fresh);
        tally.Add(HashOf(1), Fresh);
        tally.Add(HashOf(0), Fresh);
        Assert.Null(tally.Winner());
        tally.Add(HashOf(0), Fresh);
        Assert.Equal(HashOf(0), tally.Winner());
    }

    [Fact]
    public void NeedsMoreReplicasPredictsWhetherPendingAgreeingReplicasWouldReachConsensus()
    {
        var gen = Gen.Select(GenVote, Gen.Int[0, 6], Gen.Int[2, 9].Array[0, 3], Gen.Bool);
        gen.Sample((vote, freshPending, heavierPending, mixed) =>
        {
            var (requested, contributions) = vote;
            var trust = Math.Max(requested, 1);
            var pending = Enumerable.Repeat(Fresh, freshPending).Concat(mixed ? heavierPending : []).ToArray();

            var tally = new ConsensusTally(requested);
            foreach (var (hash, score) in contributions) tally.Add(HashOf(hash), Credibility.Weight(score));

            // Would the pending replicas, all agreeing on one hash (an existing one or a new one), reach consensus?
            var seen = contributions.Select(c => (c.Hash, Weight: ModelWeight(c.Score))).ToList();
            var reachable = Enumerable.Range(0, 5).Any(target =>
            {
                var (groups, total) = Model(seen.Concat(pending.Select(w => (target, w))));
                return groups.TryGetValue(target, out var g) && Passes(g, total, trust);
            });

            Assert.Equal(!reachable, tally.NeedsMoreReplicas(pending));
        }, iter: 3_000);
    }

    [Fact]
    public void FreshReplicaCountsFromScratchMatchTheDocumentedTable()
    {
        static int Needed(int trust)
        {
            var tally = new ConsensusTally(trust);
            var pending = new List<int>();
            while (tally.NeedsMoreReplicas(pending)) pending.Add(Fresh);
            return pending.Count;
        }

        Assert.Equal(1, Needed(0));
        Assert.Equal(1, Needed(1));
        Assert.Equal(1, Needed(2));
        Assert.Equal(2, Needed(3));
        Assert.Equal(2, Needed(4));
        for (var trust = 5; trust <= 8; trust++) Assert.Equal(3, Needed(trust));
        Assert.Equal(4, Needed(9));
    }
}
