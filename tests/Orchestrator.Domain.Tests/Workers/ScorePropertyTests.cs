using CsCheck;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;

namespace Orchestrator.Domain.Tests.Workers;

/// <summary>
/// A worker's score under concurrent settlements. Its outcomes are applied in the order its grain
/// receives them (finalization order as the worker sees it); ⌊2/3·score⌋ and +1 do not commute, so
/// that order is the definition. What must hold whatever the network does: every outcome counts
/// once, duplicates and redeliveries change nothing, and none is lost.
/// </summary>
public sealed class ScorePropertyTests
{
    private static readonly Address Worker = new(new byte[20]);

    private static readonly Gen<TaskOutcome> GenOutcome =
        from verdict in Gen.Enum<OutcomeVerdict>()
        from contributors in Gen.Int[1, 5]
        select new TaskOutcome(TestKit.RandomHash(), verdict, contributors, verdict.ToString());

    // N outcomes, an initial score, and a delivery: each outcome at least once, duplicates anywhere after its first arrival.
    private static readonly Gen<(int Score, TaskOutcome[] Outcomes, int[] Delivery)> GenScenario =
        from score in Gen.Int[0, 200]
        from outcomes in GenOutcome.Array[1, 24]
        from order in Gen.Shuffle(Enumerable.Range(0, outcomes.Length).ToArray())
        from repeats in Gen.Int[0, outcomes.Length - 1].Array[0, 30]
        from positions in Gen.Int[0, 1000].Array[repeats.Length]
        select (score, outcomes, Interleave(order, repeats, positions));

    [Fact]
    public void Any_delivery_with_duplicates_equals_applying_each_outcome_once_in_first_arrival_order()
    {
        GenScenario.Sample((score, outcomes, delivery) =>
        {
            var run = Holding(score, outcomes);
            foreach (var i in delivery)
            {
                run.Apply(outcomes[i]);
            }

            var firstArrival = delivery.Distinct().Select(i => outcomes[i]).ToList();
            var expected = firstArrival.Aggregate(score, (s, o) => o.Apply(s));
            Assert.Equal(expected, run.Score);
            Assert.Empty(run.Held); // none lost: every held task was settled
            Assert.Equal(outcomes.Count(o => o.Verdict == OutcomeVerdict.Won), run.Wins);
            Assert.Equal(outcomes.Count(o => o.Verdict == OutcomeVerdict.Lost), run.Losses);
        });
    }

    [Fact]
    public void Concurrent_wins_among_several_contributors_all_count_in_any_order()
    {
        // The bug this fixes: two settlements computed from the same old score overwrote each other.
        Gen.Select(Gen.Int[0, 200], Gen.Int[1, 40], Gen.Int).Sample((score, n, seed) =>
        {
            var outcomes = Enumerable.Range(0, n).Select(_ => new TaskOutcome(TestKit.RandomHash(), OutcomeVerdict.Won, 3, "won")).ToArray();
            var run = Holding(score, outcomes);
            var shuffle = new Random(seed);
            foreach (var outcome in outcomes.OrderBy(_ => shuffle.Next()).Concat(outcomes))
            {
                run.Apply(outcome);
            }

            Assert.Equal(score + n, run.Score);
            Assert.Equal(n, run.Wins);
        });
    }

    [Fact]
    public void A_redelivered_outcome_after_a_reload_changes_nothing()
    {
        GenScenario.Sample((score, outcomes, delivery) =>
        {
            var run = Holding(score, outcomes);
            foreach (var i in delivery)
            {
                run.Apply(outcomes[i]);
            }

            // A silo loss: the worker is reloaded from what the grain writes of it; the task grains replay their outcomes.
            var reloaded = new WorkerRun(Worker, Written(run), TestKit.Start);
            foreach (var outcome in outcomes)
            {
                Assert.False(reloaded.Apply(outcome).Applied);
            }

            Assert.Equal(run.Score, reloaded.Score);
        });
    }

    /// <summary>The facts the worker grain persists of a run, read from its public state.</summary>
    private static WorkerSnapshot Written(WorkerRun run)
        => new(run.State, run.SessionId, run.Score, run.Held.ToDictionary(h => h.Key, h => h.Value), run.Contributions, run.Wins, run.Losses, run.LostCount, run.LastHeartbeat);

    private static WorkerRun Holding(int score, IEnumerable<TaskOutcome> outcomes)
    {
        var held = outcomes.ToDictionary(o => o.TaskId, _ => HeldPhase.Contributed);
        return new WorkerRun(Worker, WorkerSnapshot.New with { State = WorkerState.Active, Score = score, Held = held }, TestKit.Start);
    }

    private static int[] Interleave(int[] order, int[] repeats, int[] positions)
    {
        var delivery = order.ToList();
        for (var r = 0; r < repeats.Length; r++)
        {
            var first = delivery.IndexOf(repeats[r]);
            delivery.Insert(first + 1 + (positions[r] % (delivery.Count - first)), repeats[r]);
        }

        return delivery.ToArray();
    }
}
