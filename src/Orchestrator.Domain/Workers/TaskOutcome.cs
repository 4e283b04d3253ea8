using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Workers;

/// <summary>How a settled task judged one of its workers.</summary>
public enum OutcomeVerdict
{
    /// <summary>
    /// Nobody was judged: the task failed at its final deadline, and PoCo punishes no worker for that.
    /// (A TEE fast-path task is judged: its one contributor gets <see cref="Won"/> among one, which
    /// changes no score.)
    /// </summary>
    Unjudged = 0,

    /// <summary>A revealed winner.</summary>
    Won = 1,

    /// <summary>Any other contributor of a completed task.</summary>
    Lost = 2,
}

/// <summary>
/// What happened to a worker in one settled task — not a score: the worker applies it to its own
/// current score (PoCo), so outcomes of tasks settled concurrently all count.
/// </summary>
/// <param name="TaskId">The task (outcomes are applied once per task).</param>
/// <param name="Verdict">Won, lost or not judged.</param>
/// <param name="Contributors">How many workers contributed (a win scores only when there were more than one).</param>
/// <param name="Reason">Why, for the worker's session when it did not win.</param>
public sealed record TaskOutcome(Hash32 TaskId, OutcomeVerdict Verdict, int Contributors, string Reason)
{
    /// <summary>The score after applying this outcome to <paramref name="score"/>: +1 for a win among several, ⌊2/3·score⌋ for a loss.</summary>
    public int Apply(int score) => Verdict switch
    {
        OutcomeVerdict.Won => Credibility.ScoreAfterWin(score, Contributors),
        OutcomeVerdict.Lost => Credibility.ScoreAfterLoss(score),
        _ => score,
    };
}
