using System.Formats.Tar;
using System.Text;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Domain.Tests.Results;

/// <summary>Who may upload a task's logs, and the package they come in.</summary>
public sealed class LogsRulesTests
{
    private static readonly DateTimeOffset T0 = TestKit.Start;

    [Fact]
    public void A_worker_that_held_a_replicate_uploads_logs_even_after_giving_it_back_and_a_stranger_does_not()
    {
        var task = TestKit.NewTask(3);
        TestWorker holder = new(), gaveBack = new(), stranger = new();
        Assert.True(task.Assign(holder.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(task.Assign(gaveBack.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(task.Release(gaveBack.Address, ReplicateStatus.Abandoned, T0.AddSeconds(5)).Accepted);

        Assert.Null(LogsUploadRules.Check(task, holder.Address));
        Assert.Null(LogsUploadRules.Check(task, gaveBack.Address));
        var refusal = LogsUploadRules.Check(task, stranger.Address);
        Assert.Equal(UploadRefusalCode.NeverHeld, refusal!.Code);
        Assert.Contains("rule: only a worker that ran the task uploads its logs", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_package_is_a_canonical_tar_of_stdout_then_stderr_and_unpacks_back()
    {
        var stdout = Encoding.UTF8.GetBytes("computing…\ndone\n");
        var stderr = Encoding.UTF8.GetBytes("warning: slow disk\n");
        var package = LogsPackage.Pack(stdout, stderr);

        using var reader = new TarReader(new MemoryStream(package));
        var first = reader.GetNextEntry()!;
        var second = reader.GetNextEntry()!;
        Assert.Null(reader.GetNextEntry());
        Assert.Equal((LogsPackage.StdoutEntry, LogsPackage.StderrEntry), (first.Name, second.Name));
        Assert.Equal(DateTimeOffset.UnixEpoch, first.ModificationTime);
        Assert.Equal(package, LogsPackage.Pack(stdout, stderr)); // same tails, same bytes

        var (outBack, errBack) = LogsPackage.Unpack(package);
        Assert.Equal(stdout, outBack);
        Assert.Equal(stderr, errBack);
        Assert.Throws<InvalidDataException>(() => LogsPackage.Unpack(Encoding.ASCII.GetBytes("not a tar at all, just text that is long enough to be read as a header block")));
    }
}
