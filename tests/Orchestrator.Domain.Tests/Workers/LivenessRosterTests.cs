using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Domain.Tests.Workers;

public sealed class LivenessRosterTests
{
    private static Address Worker(byte b) => new(Enumerable.Repeat(b, 20).ToArray());

    [Fact]
    public void Only_a_new_member_needs_a_write()
    {
        var roster = new LivenessRoster([Worker(1)]);

        Assert.False(roster.Enlist(Worker(1)));
        Assert.True(roster.Enlist(Worker(2)));
        Assert.False(roster.Enlist(Worker(2)));
        Assert.Equal(2, roster.Count);
    }

    [Fact]
    public void A_sweep_pokes_every_member_and_drops_those_that_need_no_waking()
    {
        var roster = new LivenessRoster([Worker(1), Worker(2), Worker(3)]);

        var sweep = roster.BeginSweep();

        Assert.Equal([Worker(1), Worker(2), Worker(3)], sweep.Members.Order());
        Assert.True(roster.EndSweep(sweep, [Worker(2)]));
        Assert.Equal([Worker(1), Worker(3)], roster.Members.Order());
    }

    [Fact]
    public void A_sweep_that_drops_nobody_needs_no_write()
    {
        var roster = new LivenessRoster([Worker(1)]);

        var sweep = roster.BeginSweep();

        Assert.False(roster.EndSweep(sweep, []));
        Assert.False(roster.EndSweep(roster.BeginSweep(), [Worker(9)])); // not a member: nothing to drop
        Assert.Single(roster.Members);
    }

    [Fact]
    public void A_worker_that_enlists_again_during_a_sweep_is_kept_whatever_its_earlier_answer()
    {
        // Its grain answered "not needed" (the session had ended), then a new session enlisted it before the
        // sweep ended: dropping it would leave a live worker nobody wakes after a silo loss.
        var roster = new LivenessRoster([Worker(1), Worker(2)]);
        var sweep = roster.BeginSweep();

        Assert.False(roster.Enlist(Worker(1)));

        Assert.True(roster.EndSweep(sweep, [Worker(1), Worker(2)]));
        Assert.Equal([Worker(1)], roster.Members);

        // The next sweep judges it on a fresh answer.
        var next = roster.BeginSweep();
        Assert.True(roster.EndSweep(next, [Worker(1)]));
        Assert.Equal(0, roster.Count);
    }

    [Fact]
    public void A_worker_new_during_a_sweep_is_not_dropped_by_it()
    {
        var roster = new LivenessRoster([]);
        var sweep = roster.BeginSweep();
        Assert.True(roster.Enlist(Worker(5)));

        Assert.False(roster.EndSweep(sweep, [Worker(5)]));
        Assert.Equal([Worker(5)], roster.Members);
    }

    [Fact]
    public void Shards_are_stable_and_spread_workers()
    {
        var workers = Enumerable.Range(0, 1_000).Select(_ => new Address(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20))).ToList();

        var shards = workers.Select(w => LivenessRoster.ShardOf(w, 16)).ToList();

        Assert.Equal(shards, workers.Select(w => LivenessRoster.ShardOf(w, 16)));
        Assert.All(shards, s => Assert.InRange(s, 0, 15));
        Assert.All(shards.GroupBy(s => s), g => Assert.InRange(g.Count(), 30, 110)); // 62.5 expected per shard
        Assert.Equal(0, LivenessRoster.ShardOf(workers[0], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LivenessRoster.ShardOf(workers[0], 0));
    }
}
