using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;
using Orchestrator.Worker.Session;

namespace Orchestrator.Worker.Tests;

public sealed class SessionPartsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half_and_resets()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), new Random(7));
        var ceilings = new[] { 100, 200, 400, 800, 1600, 2000, 2000, 2000 };
        foreach (var ceiling in ceilings)
        {
            var delay = backoff.Next().TotalMilliseconds;
            Assert.InRange(delay, ceiling / 2.0, ceiling);
        }

        Assert.Equal(ceilings.Length, backoff.Attempts);
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public void Backoff_spreads_a_fleet_that_reconnects_together()
    {
        var delays = Enumerable.Range(0, 50).Select(seed =>
        {
            var b = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(seed));
            b.Next();
            b.Next();
            return b.Next().TotalMilliseconds;
        }).ToList();
        Assert.True(delays.Max() - delays.Min() > 1000, "jitter spreads delays over the upper half of the 4 s ceiling");
    }

    [Fact]
    public void The_journal_survives_a_restart_and_advances_but_never_regresses()
    {
        var task = Hash32.Parse("0x" + new string('1', 64));
        var digest = Hash32.Parse("0x" + new string('2', 64));
        new TaskJournal(_dir.Path).Record(new JournalEntry(task.ToString(), JournalStage.Contributed, digest.ToString(), "/x/result.tar"));

        var reopened = new TaskJournal(_dir.Path);
        var entry = reopened.Find(task);
        Assert.NotNull(entry);
        Assert.Equal(digest, entry.Digest);
        reopened.Advance(task, JournalStage.Computed);
        Assert.Equal(JournalStage.Contributed, reopened.Find(task)!.Stage);
        reopened.Advance(task, JournalStage.Revealed, uploaded: true);
        Assert.True(reopened.Find(task)!.Uploaded);
        Assert.Equal([task], reopened.Tasks());
        reopened.Remove(task);
        Assert.Null(reopened.Find(task));
    }

    [Fact]
    public void A_corrupt_or_foreign_journal_record_counts_as_none_so_the_task_runs_again()
    {
        var journal = new TaskJournal(_dir.Path);
        var task = Hash32.Parse("0x" + new string('3', 64));
        File.WriteAllText(Path.Combine(_dir.Path, "journal", task + ".json"), "{ not json");
        Assert.Null(journal.Find(task));
        File.WriteAllText(Path.Combine(_dir.Path, "journal", task + ".json"),
            $$"""{"TaskId":"0x{{new string('4', 64)}}","Stage":"Computed","ResultDigest":"0x{{new string('5', 64)}}"}""");
        Assert.Null(journal.Find(task));
        File.WriteAllText(Path.Combine(_dir.Path, "journal", "left.json.abc.tmp"), "half");
        _ = new TaskJournal(_dir.Path);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "journal", "left.json.abc.tmp")));
    }

    [Fact]
    public void The_journal_prunes_tasks_past_their_final_deadline()
    {
        var journal = new TaskJournal(_dir.Path);
        var now = DateTimeOffset.UtcNow;
        var old = Hash32.Parse("0x" + new string('6', 64));
        var live = Hash32.Parse("0x" + new string('7', 64));
        var digest = new string('8', 64);
        journal.Record(new JournalEntry(old.ToString(), JournalStage.Contributed, "0x" + digest, null, FinalDeadline: now.AddMinutes(-1)));
        journal.Record(new JournalEntry(live.ToString(), JournalStage.Contributed, "0x" + digest, null, FinalDeadline: now.AddMinutes(1)));
        Assert.Equal(1, journal.Prune(now));
        Assert.Equal([live], journal.Tasks());
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("  a   b ", new[] { "a", "b" })]
    [InlineData("'x y' \"z w\" q\\ r", new[] { "x y", "z w", "q r" })]
    [InlineData("'$(rm -rf /)' ;ls", new[] { "$(rm -rf /)", ";ls" })]
    [InlineData("a''b \"\"", new[] { "ab", "" })]
    public void Parameters_split_like_shell_words_without_any_expansion(string text, string[] expected)
    {
        Assert.True(AppArguments.TrySplit(text, out var args, out var error), error);
        Assert.Equal(expected, args);
    }

    [Theory]
    [InlineData("'open", "unterminated")]
    [InlineData("\"open", "unterminated")]
    [InlineData("end\\", "backslash")]
    public void Malformed_parameters_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(AppArguments.TrySplit(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
