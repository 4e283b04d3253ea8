using Orchestrator.Host.Persistence.GroupCommit;

namespace Orchestrator.Integration.Tests;

/// <summary>How a group is cut into rounds of distinct grains (pure: no database).</summary>
public sealed class GroupCommitRoundTests
{
    [Fact]
    public void A_grain_met_again_in_a_group_starts_the_next_round_so_its_operations_keep_their_order()
    {
        var group = new StorageOperation[]
        {
            new ReadOperation("task", "a"),
            new WriteOperation("task", "b", 1, [1]),
            new WriteOperation("task", "a", 3, [2]),
            new WriteOperation("worker", "a", null, [3]),
            new WriteOperation("task", "a", 4, null),
        };

        var rounds = GroupCommitRound.Split(group);

        // (task, a) is met three times: three rounds, and the same grain id under another state name is another grain.
        Assert.Equal(new[] { 2, 2, 1 }, rounds.Select(r => r.Count).ToArray());
        Assert.Equal(new long[] { 1, 2, 0 }, rounds.Select(r => r.PayloadBytes).ToArray());
    }

    [Fact]
    public void A_group_of_distinct_grains_is_one_round()
    {
        var group = Enumerable.Range(0, 50).Select(i => (StorageOperation)new WriteOperation("task", $"t{i}", i, [1, 2])).ToList();

        var round = Assert.Single(GroupCommitRound.Split(group));
        Assert.Equal(50, round.Count);
        Assert.Equal(100L, round.PayloadBytes);
    }
}
