using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

public sealed class TeeFastPathTests
{
    private static readonly DateTimeOffset T0 = TestKit.Start;
    private static readonly Hash32 Digest = TestKit.SmallHash(0x7E);
    private static readonly BigInteger Price = 1_000_000;

    private static byte[] EnclaveSign(TaskRun task, Address worker, Hash32 digest, byte[] enclaveKey)
    {
        var hash = ProtocolIds.ResultHash(task.TaskId, digest);
        var seal = ProtocolIds.ResultSeal(worker, task.TaskId, digest);
        return EthereumMessage.Sign(ProtocolIds.EnclaveMessage(hash, seal).ToArray(), enclaveKey).ToBytes65();
    }

    private static (TaskRun Task, TestWorker Worker, byte[] EnclaveKey) Ready(int trust = 1, uint tag = 0x3)
    {
        var task = TestKit.NewTask(trust, tag: new TeeTag(tag), price: Price);
        var worker = new TestWorker(score: 7);
        var enclaveKey = Secp256k1.NewPrivateKey();
        Assert.True(task.Assign(worker.Address, 2, T0.AddSeconds(1)).Accepted);
        task.UseEnclaveChallenge(Secp256k1.AddressOf(enclaveKey));
        return (task, worker, enclaveKey);
    }

    [Theory]
    [InlineData(0, 0x3u)]
    [InlineData(1, 0x5u)]
    [InlineData(1, 0x9u)]
    public void ACorrectEnclaveSignatureCompletesInOneStep(int trust, uint tag)
    {
        var (task, worker, enclaveKey) = Ready(trust, tag);
        Assert.True(task.Terms.IsTeeFastPath);
        var step = task.ContributeAndFinalize(worker.Address, worker.Score, Digest, EnclaveSign(task, worker.Address, Digest, enclaveKey), T0.AddSeconds(5));

        Assert.True(step.Accepted, step.Refusal?.ToString());
        var completed = Assert.IsType<TaskCompleted>(Assert.Single(step.Effects));
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.Equal(Digest, task.ResultDigest);
        Assert.Equal(ProtocolIds.ResultHash(task.TaskId, Digest), task.ConsensusHash);
        Assert.Equal(T0.AddSeconds(5), task.FinishedAt);
        Assert.Equal(ReplicateStatus.Revealed, task.Replicates[0].Status);
        Assert.Equal(Digest, completed.ResultDigest);

        var settled = Assert.Single(completed.Settlement.Workers);
        Assert.Equal(worker.Address, settled.Worker);
        Assert.Equal(BigInteger.Zero, settled.StakeSeized);
        Assert.Equal(7, settled.ScoreBefore);
        Assert.Equal(7, TaskOutcomes.Of(task, completed, settled).Apply(settled.ScoreBefore)); // a win among one: no score change
        Assert.Equal(Price * 99 / 100, settled.Reward);
        Assert.Equal(Price / 100, completed.Settlement.SchedulerReward);
    }

    [Fact]
    public void AWrongEnclaveKeyIsRefusedAndChangesNothing()
    {
        var (task, worker, _) = Ready();
        var before = TaskSnapshot.Of(task);
        var step = task.ContributeAndFinalize(worker.Address, worker.Score, Digest, EnclaveSign(task, worker.Address, Digest, Secp256k1.NewPrivateKey()), T0.AddSeconds(5));
        Assert.Equal(TaskRefusalCode.InvalidSignature, step.Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));
    }

    [Fact]
    public void TheWorkersOwnKeyOrAnotherDigestIsRefused()
    {
        var (task, worker, enclaveKey) = Ready();
        var before = TaskSnapshot.Of(task);
        Assert.Equal(TaskRefusalCode.InvalidSignature, task.ContributeAndFinalize(worker.Address, 0, Digest, EnclaveSign(task, worker.Address, Digest, worker.Key), T0.AddSeconds(5)).Refusal!.Code);
        Assert.Equal(TaskRefusalCode.InvalidSignature, task.ContributeAndFinalize(worker.Address, 0, Digest, EnclaveSign(task, worker.Address, TestKit.SmallHash(1), enclaveKey), T0.AddSeconds(5)).Refusal!.Code);

        // An enclave signature produced for another worker's seal does not transfer.
        var other = new TestWorker();
        Assert.Equal(TaskRefusalCode.InvalidSignature, task.ContributeAndFinalize(worker.Address, 0, Digest, EnclaveSign(task, other.Address, Digest, enclaveKey), T0.AddSeconds(5)).Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));
    }

    [Fact]
    public void WithoutAnEnclaveChallengeNothingCompletes()
    {
        var task = TestKit.NewTask(1, tag: new TeeTag(0x3), price: Price);
        var worker = new TestWorker();
        Assert.True(task.Assign(worker.Address, 2, T0.AddSeconds(1)).Accepted);
        var before = TaskSnapshot.Of(task);
        var step = task.ContributeAndFinalize(worker.Address, 0, Digest, EnclaveSign(task, worker.Address, Digest, Secp256k1.NewPrivateKey()), T0.AddSeconds(2));
        Assert.Equal(TaskRefusalCode.InvalidSignature, step.Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));
    }

    [Fact]
    public void TheReplicatedPathIsRefusedOnATeeTaskAndTheChallengeIsSetOnce()
    {
        var (task, worker, enclaveKey) = Ready();
        var before = TaskSnapshot.Of(task);
        Assert.Equal(TaskRefusalCode.WrongPath, worker.Contribute(task, Digest, T0.AddSeconds(2)).Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));

        task.UseEnclaveChallenge(Secp256k1.AddressOf(enclaveKey)); // same one again: fine
        Assert.Throws<InvalidOperationException>(() => task.UseEnclaveChallenge(Secp256k1.AddressOf(Secp256k1.NewPrivateKey())));
    }

    [Fact]
    public void AStrangerCannotUseTheFastPath()
    {
        var (task, _, enclaveKey) = Ready();
        var stranger = new TestWorker();
        var before = TaskSnapshot.Of(task);
        var step = task.ContributeAndFinalize(stranger.Address, 0, Digest, EnclaveSign(task, stranger.Address, Digest, enclaveKey), T0.AddSeconds(2));
        Assert.Equal(TaskRefusalCode.NotAssigned, step.Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));
    }

    [Fact]
    public void AfterTheContributionDeadlineTheFastPathIsClosed()
    {
        var (task, worker, enclaveKey) = Ready();
        var before = TaskSnapshot.Of(task);
        var step = task.ContributeAndFinalize(worker.Address, 0, Digest, EnclaveSign(task, worker.Address, Digest, enclaveKey), task.Terms.ContributionDeadline);
        Assert.Equal(TaskRefusalCode.ContributionDeadlinePassed, step.Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));
    }
}
