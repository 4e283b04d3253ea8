using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Results;

/// <summary>Who may upload a task's result, and which archive: bound to the consensus the task reached.</summary>
public sealed class ResultUploadRulesTests
{
    private static readonly DateTimeOffset T0 = TestKit.Start;
    private static readonly Hash32 Good = TestKit.SmallHash(0x60);
    private static readonly Hash32 Bad = TestKit.SmallHash(0x66);

    private static void Accepted(TaskStep step) => Assert.True(step.Accepted, step.Refusal?.ToString());

    private static UploadRefusalCode? Code(TaskRun task, TestWorker worker) => ResultUploadRules.Check(task, worker.Address)?.Code;

    private static UploadRefusalCode? ArchiveCode(TaskRun task, Hash32 archiveDigest)
        => ResultUploadRules.CheckArchive(task.TaskId, ResultUploadRules.ConsensusDigest(task)!.Value, archiveDigest)?.Code;

    /// <summary>Trust 3: a and b agree on Good after the faulty worker voted Bad; c and d complete the vote (8·3 &gt; 11·2).</summary>
    private static (TaskRun Task, TestWorker A, TestWorker Faulty, TestWorker C, TestWorker D) Revealing()
    {
        var task = TestKit.NewTask(3);
        TestWorker a = new(), faulty = new(), c = new(), d = new();
        Accepted(task.Assign(a.Address, 2, T0.AddSeconds(1)));
        Accepted(task.Assign(faulty.Address, 2, T0.AddSeconds(1)));
        Accepted(a.Contribute(task, Good, T0.AddSeconds(10)));
        Accepted(faulty.Contribute(task, Bad, T0.AddSeconds(11)));
        Accepted(task.Assign(c.Address, 2, T0.AddSeconds(12)));
        Accepted(task.Assign(d.Address, 2, T0.AddSeconds(12)));
        Accepted(c.Contribute(task, Good, T0.AddSeconds(20)));
        Accepted(d.Contribute(task, Good, T0.AddSeconds(21)));
        Assert.Equal(TaskStatus.Revealing, task.Status);
        return (task, a, faulty, c, d);
    }

    [Fact]
    public void ARevealedWinnerUploadsTheConsensusDigestOnlyAndALoserNever()
    {
        var (task, a, faulty, c, d) = Revealing();
        Accepted(task.Reveal(a.Address, Good, T0.AddSeconds(30)));
        Assert.Equal(TaskStatus.Revealing, task.Status); // c and d still to reveal: a's upload arrives before finalization

        Assert.Null(ResultUploadRules.Check(task, a.Address));
        Assert.Equal(Good, ResultUploadRules.ConsensusDigest(task));
        Assert.Null(ArchiveCode(task, Good));
        Assert.Equal(UploadRefusalCode.NotTheConsensusDigest, ArchiveCode(task, Bad));
        Assert.Equal(UploadRefusalCode.RevealFirst, Code(task, c));
        Assert.Equal(UploadRefusalCode.NotAWinner, Code(task, faulty));
        Assert.Equal(UploadRefusalCode.NeverHeld, Code(task, new TestWorker()));

        Accepted(task.Reveal(c.Address, Good, T0.AddSeconds(31)));
        Accepted(task.Reveal(d.Address, Good, T0.AddSeconds(32)));
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.True(ResultUploadRules.IsBound(task.Status));
        Assert.Null(ResultUploadRules.Check(task, a.Address));
        Assert.Null(ResultUploadRules.Check(task, d.Address));
        Assert.Equal(UploadRefusalCode.NotAWinner, Code(task, faulty));
    }

    [Fact]
    public void AWinnerThatNeverRevealedIsLateOnceTheTaskFinalizes()
    {
        var (task, a, _, c, _) = Revealing();
        Accepted(task.Reveal(a.Address, Good, T0.AddSeconds(30)));
        Accepted(task.Advance(task.RevealDeadline!.Value));
        Assert.Equal(TaskStatus.Completed, task.Status);

        var refusal = ResultUploadRules.Check(task, c.Address)!;
        Assert.Equal(UploadRefusalCode.NotAWinner, refusal.Code);
        Assert.Contains("rule:", refusal.Message, StringComparison.Ordinal);
        Assert.True(refusal.Code.IsPermission());
    }

    [Fact]
    public void NothingIsUploadedBeforeConsensusNorForAFailedTask()
    {
        var task = TestKit.NewTask(3);
        TestWorker a = new(), b = new(), idle = new();
        Accepted(task.Assign(a.Address, 2, T0.AddSeconds(1)));
        Accepted(a.Contribute(task, Good, T0.AddSeconds(2)));
        var early = ResultUploadRules.Check(task, a.Address)!;
        Assert.Equal(UploadRefusalCode.NoConsensusYet, early.Code);
        Assert.False(early.Code.IsPermission());

        Accepted(task.Assign(b.Address, 2, T0.AddSeconds(3)));
        Accepted(b.Contribute(task, Good, T0.AddSeconds(4)));
        Accepted(task.Reveal(a.Address, Good, T0.AddSeconds(5)));
        Assert.Null(ResultUploadRules.Check(task, a.Address));

        // The final deadline fails a task still revealing: the candidate a uploaded is not its result.
        Accepted(task.Advance(task.Terms.FinalDeadline));
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.False(ResultUploadRules.IsBound(task.Status));
        Assert.Equal(UploadRefusalCode.TaskFailed, Code(task, a));
        Assert.Null(ResultUploadRules.ConsensusDigest(task));
        Assert.Equal(UploadRefusalCode.NeverHeld, Code(task, idle));
    }

    [Fact]
    public void AWorkerThatNeverContributedIsRefusedOnceConsensusIsReached()
    {
        var task = TestKit.NewTask(1);
        TestWorker a = new(), lost = new();
        Accepted(task.Assign(lost.Address, 2, T0.AddSeconds(1)));
        Accepted(task.Release(lost.Address, ReplicateStatus.WorkerLost, T0.AddSeconds(2)));
        Accepted(task.Assign(a.Address, 2, T0.AddSeconds(3)));
        Accepted(a.Contribute(task, Good, T0.AddSeconds(4)));
        Accepted(task.Reveal(a.Address, Good, T0.AddSeconds(5)));
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.Equal(UploadRefusalCode.NeverContributed, Code(task, lost));
        Assert.Null(ResultUploadRules.Check(task, a.Address));
    }

    [Fact]
    public void TheTeeWorkerWhoseEnclaveSignedDigestCompletedTheTaskUploadsIt()
    {
        var task = TestKit.NewTask(1, tag: new TeeTag(0x3));
        var worker = new TestWorker();
        var enclaveKey = Secp256k1.NewPrivateKey();
        Accepted(task.Assign(worker.Address, 2, T0.AddSeconds(1)));
        task.UseEnclaveChallenge(Secp256k1.AddressOf(enclaveKey));
        var hash = ProtocolIds.ResultHash(task.TaskId, Good);
        var seal = ProtocolIds.ResultSeal(worker.Address, task.TaskId, Good);
        var signature = EthereumMessage.Sign(ProtocolIds.EnclaveMessage(hash, seal).ToArray(), enclaveKey).ToBytes65();
        Accepted(task.ContributeAndFinalize(worker.Address, 0, Good, signature, T0.AddSeconds(2)));

        Assert.Null(ResultUploadRules.Check(task, worker.Address));
        Assert.Null(ArchiveCode(task, Good));
        Assert.Equal(UploadRefusalCode.NotTheConsensusDigest, ArchiveCode(task, Bad));
    }
}
