namespace Orchestrator.Domain.Deals;

/// <summary>
/// PoCo deadlines. Contribution and final deadlines are shared by all tasks of a deal (7 and 10
/// timerefs after the deal's start); the reveal deadline is 2 timerefs after a task's consensus.
/// </summary>
public static class Deadlines
{
    /// <summary>Multiple of timeref after the start until which contributions are accepted.</summary>
    public const int ContributionTimerefs = 7;

    /// <summary>Multiple of timeref after the start after which an unfinished task fails.</summary>
    public const int FinalTimerefs = 10;

    /// <summary>Multiple of timeref after consensus until which winners may reveal.</summary>
    public const int RevealTimerefs = 2;

    /// <summary>startTime + 7·timeref.</summary>
    public static DateTimeOffset Contribution(DateTimeOffset startTime, TimeSpan timeref) => startTime + (ContributionTimerefs * timeref);

    /// <summary>startTime + 10·timeref.</summary>
    public static DateTimeOffset Final(DateTimeOffset startTime, TimeSpan timeref) => startTime + (FinalTimerefs * timeref);

    /// <summary>consensusTime + 2·timeref.</summary>
    public static DateTimeOffset Reveal(DateTimeOffset consensusTime, TimeSpan timeref) => consensusTime + (RevealTimerefs * timeref);
}
