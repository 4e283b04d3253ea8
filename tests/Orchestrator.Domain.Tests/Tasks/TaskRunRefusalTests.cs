using System.Globalization;
using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

/// <summary>Every refused input names its precise reason and leaves the task exactly as it was.</summary>
public sealed class TaskRunRefusalTests
{
    private static readonly DateTimeOffset T0 = TestKit.Start;
    private static readonly Hash32 Good = TestKit.SmallHash(0x60);
    private static readonly Hash32 Bad = TestKit.SmallHash(0x66);

    private static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    private static void RefusedUnchanged(TaskRun task, TaskRefusalCode code, Func<TaskStep> act)
    {
        var before = TaskSnapshot.Of(task);
        var step = act();
        Assert.False(step.Accepted);
        Assert.NotNull(step.Refusal);
        Assert.Equal(code, step.Refusal.Code);
        Assert.False(string.IsNullOrWhiteSpace(step.Refusal.Message));
        Assert.False(step.Changed);
        Assert.Empty(step.Effects);
        Assert.Equal(before, TaskSnapshot.Of(task));
    }

    /// <summary>trust 3, workers a and b assigned, a contributed Good.</summary>
    private static (TaskRun Task, TestWorker A, TestWorker B) OneContribution()
    {
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        Assert.True(task.Assign(a.Address, 2, At(1)).Accepted);
        Assert.True(task.Assign(b.Address, 2, At(1)).Accepted);
        Assert.True(a.Contribute(task, Good, At(10)).Accepted);
        return (task, a, b);
    }

    /// <summary>trust 3, a and b contributed Good: REVEALING.</summary>
    private static (TaskRun Task, TestWorker A, TestWorker B) Revealing()
    {
        var (task, a, b) = OneContribution();
        Assert.True(b.Contribute(task, Good, At(20)).Accepted);
        Assert.Equal(TaskStatus.Revealing, task.Status);
        return (task, a, b);
    }

    [Fact]
    public void ContributionFromAWorkerWithoutAReplicate()
    {
        var (task, _, _) = OneContribution();
        var stranger = new TestWorker();
        RefusedUnchanged(task, TaskRefusalCode.NotAssigned, () => stranger.Contribute(task, Good, At(11)));
    }

    [Fact]
    public void ContributionToATaskNeverHandedOut()
    {
        var task = TestKit.NewTask(3);
        RefusedUnchanged(task, TaskRefusalCode.NotAssigned, () => new TestWorker().Contribute(task, Good, At(1)));
        Assert.Equal(TaskStatus.Unset, task.Status);
    }

    [Fact]
    public void ASecondContribution()
    {
        var (task, a, _) = OneContribution();
        RefusedUnchanged(task, TaskRefusalCode.AlreadyContributed, () => a.Contribute(task, Good, At(11)));
        RefusedUnchanged(task, TaskRefusalCode.AlreadyContributed, () => a.Contribute(task, Bad, At(11)));
    }

    [Fact]
    public void ContributionAfterTheContributionDeadline()
    {
        var (task, _, b) = OneContribution();
        RefusedUnchanged(task, TaskRefusalCode.ContributionDeadlinePassed, () => b.Contribute(task, Good, task.Terms.ContributionDeadline));
        RefusedUnchanged(task, TaskRefusalCode.ContributionDeadlinePassed, () => b.Contribute(task, Good, task.Terms.ContributionDeadline.AddHours(1)));
        Assert.True(b.Contribute(task, Good, task.Terms.ContributionDeadline.AddTicks(-1)).Accepted);
    }

    [Fact]
    public void AssignmentAfterTheContributionDeadline()
    {
        var task = TestKit.NewTask(3);
        RefusedUnchanged(task, TaskRefusalCode.ContributionDeadlinePassed, () => task.Assign(new TestWorker().Address, 2, task.Terms.ContributionDeadline));
        Assert.False(task.NeedsMoreReplicas(task.Terms.ContributionDeadline));
        Assert.Equal(0, task.ReplicasToRequest(task.Terms.ContributionDeadline));
    }

    [Fact]
    public void ContributionAfterConsensus()
    {
        // a and b time out, c and d are handed out, a and b still contribute: consensus; c is too late.
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        var c = new TestWorker();
        Assert.True(task.Assign(a.Address, 2, At(0)).Accepted);
        Assert.True(task.Assign(b.Address, 2, At(0)).Accepted);
        task.Advance(At(0) + task.Terms.Timeref);
        Assert.True(task.Assign(c.Address, 2, At(0) + task.Terms.Timeref).Accepted);
        Assert.True(a.Contribute(task, Good, At(400)).Accepted);
        Assert.True(b.Contribute(task, Good, At(401)).Accepted);
        Assert.Equal(TaskStatus.Revealing, task.Status);
        RefusedUnchanged(task, TaskRefusalCode.ConsensusAlreadyReached, () => c.Contribute(task, Good, At(402)));
        RefusedUnchanged(task, TaskRefusalCode.NotNeeded, () => task.Assign(new TestWorker().Address, 2, At(402)));
    }

    [Fact]
    public void ContributionSignedByAnotherKey()
    {
        var (task, _, b) = OneContribution();
        var (hash, seal, _) = b.Contribution(task.TaskId, Good);
        var impostor = new TestWorker();
        var signature = impostor.Sign(task.TaskId, hash, seal);
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, seal, signature, At(11)));
    }

    [Fact]
    public void ContributionSignatureOverOtherValues()
    {
        var (task, _, b) = OneContribution();
        var (hash, seal, _) = b.Contribution(task.TaskId, Good);
        var (badHash, badSeal, badSignature) = b.Contribution(task.TaskId, Bad);
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, seal, badSignature, At(11)));
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, badSeal, b.Sign(task.TaskId, hash, seal), At(11)));

        // Signed without the EIP-191 prefix.
        var raw = Secp256k1.Sign(ProtocolIds.ContributionMessage(task.TaskId, badHash, badSeal).ToArray(), b.Key).ToBytes65();
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, badHash, badSeal, raw, At(11)));
    }

    [Fact]
    public void MalformedAndMalleatedSignatures()
    {
        var (task, _, b) = OneContribution();
        var (hash, seal, signature) = b.Contribution(task.TaskId, Good);
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, seal, signature[..64], At(11)));
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, seal, [], At(11)));
        var badV = (byte[])signature.Clone();
        badV[64] = 35;
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, seal, badV, At(11)));

        // The high-s twin (n − s, flipped v) recovers to the same signer but is malleable: refused.
        var n = Crypto.CryptoSanityTests.N;
        var s = new BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var highS = (n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var twin = (byte[])signature.Clone();
        Array.Clear(twin, 32, 32);
        highS.CopyTo(twin, 64 - highS.Length);
        twin[64] = (byte)(27 + ((signature[64] - 27) ^ 1));
        Assert.True(Signature.TryFromBytes65(twin, out var parsed, out _));
        Assert.True(EthereumMessage.TryRecover(ProtocolIds.ContributionMessage(task.TaskId, hash, seal).ToArray(), parsed!, out var signer));
        Assert.Equal(b.Address, signer);
        RefusedUnchanged(task, TaskRefusalCode.InvalidSignature, () => task.Contribute(b.Address, 0, hash, seal, twin, At(11)));

        // The genuine one still goes through afterwards.
        Assert.True(task.Contribute(b.Address, 0, hash, seal, signature, At(12)).Accepted);
    }

    [Fact]
    public void RevealThatDoesNotMatch()
    {
        var (task, a, _) = Revealing();
        RefusedUnchanged(task, TaskRefusalCode.RevealMismatch, () => task.Reveal(a.Address, Bad, At(30)));
    }

    [Fact]
    public void RevealOfACopiedHashFailsOnTheSeal()
    {
        // b copies a's result hash and seal (it even knows the digest): the seal binds it to a.
        var task = TestKit.NewTask(3);
        var a = new TestWorker();
        var b = new TestWorker();
        Assert.True(task.Assign(a.Address, 2, At(1)).Accepted);
        Assert.True(task.Assign(b.Address, 2, At(1)).Accepted);
        var (hash, seal, _) = a.Contribution(task.TaskId, Good);
        Assert.True(a.Contribute(task, Good, At(10)).Accepted);
        Assert.True(task.Contribute(b.Address, 0, hash, seal, b.Sign(task.TaskId, hash, seal), At(11)).Accepted);
        Assert.Equal(TaskStatus.Revealing, task.Status);
        RefusedUnchanged(task, TaskRefusalCode.RevealMismatch, () => task.Reveal(b.Address, Good, At(12)));
        Assert.True(task.Reveal(a.Address, Good, At(13)).Accepted);
    }

    [Fact]
    public void RevealAfterTheRevealDeadline()
    {
        var (task, a, _) = Revealing();
        var deadline = task.RevealDeadline!.Value;
        RefusedUnchanged(task, TaskRefusalCode.RevealDeadlinePassed, () => task.Reveal(a.Address, Good, deadline));
        RefusedUnchanged(task, TaskRefusalCode.RevealDeadlinePassed, () => task.Reveal(a.Address, Good, deadline.AddMinutes(1)));
        Assert.True(task.Reveal(a.Address, Good, deadline.AddTicks(-1)).Accepted);
    }

    [Fact]
    public void RevealByANonWinnerOrAStrangerOrBeforeConsensus()
    {
        var (active, a, _) = OneContribution();
        RefusedUnchanged(active, TaskRefusalCode.NotRevealing, () => active.Reveal(a.Address, Good, At(11)));

        var task = TestKit.NewTask(3);
        var w1 = new TestWorker();
        var w2 = new TestWorker();
        var loser = new TestWorker();
        Assert.True(task.Assign(w1.Address, 2, At(1)).Accepted);
        Assert.True(task.Assign(loser.Address, 2, At(1)).Accepted);
        Assert.True(loser.Contribute(task, Bad, At(2)).Accepted);
        Assert.True(w1.Contribute(task, Good, At(3)).Accepted);
        var w3 = new TestWorker();
        Assert.True(task.Assign(w2.Address, 2, At(4)).Accepted);
        Assert.True(task.Assign(w3.Address, 2, At(4)).Accepted);
        Assert.True(w2.Contribute(task, Good, At(5)).Accepted);
        Assert.True(w3.Contribute(task, Good, At(6)).Accepted);
        Assert.Equal(TaskStatus.Revealing, task.Status);

        RefusedUnchanged(task, TaskRefusalCode.NotAWinner, () => task.Reveal(loser.Address, Bad, At(7)));
        RefusedUnchanged(task, TaskRefusalCode.NotAWinner, () => task.Reveal(loser.Address, Good, At(7)));
        RefusedUnchanged(task, TaskRefusalCode.NotAssigned, () => task.Reveal(new TestWorker().Address, Good, At(7)));
    }

    [Fact]
    public void WrongPathCallsAreRefused()
    {
        var (task, _, b) = OneContribution();
        RefusedUnchanged(task, TaskRefusalCode.WrongPath, () => task.ContributeAndFinalize(b.Address, 0, Good, new byte[65], At(11)));
    }

    [Fact]
    public void CompletedTasksRefuseEverything()
    {
        var (task, a, b) = Revealing();
        Assert.True(task.Reveal(a.Address, Good, At(30)).Accepted);
        Assert.True(task.Reveal(b.Address, Good, At(31)).Accepted);
        Assert.Equal(TaskStatus.Completed, task.Status);
        RefusedUnchanged(task, TaskRefusalCode.TaskFinal, () => a.Contribute(task, Good, At(32)));
        RefusedUnchanged(task, TaskRefusalCode.TaskFinal, () => task.Reveal(a.Address, Good, At(32)));
        RefusedUnchanged(task, TaskRefusalCode.TaskFinal, () => task.Assign(new TestWorker().Address, 2, At(32)));
    }

    [Fact]
    public void FailedTasksRefuseEverything()
    {
        var (task, a, b) = OneContribution();
        Assert.IsType<TaskFailed>(Assert.Single(task.Advance(task.Terms.FinalDeadline).Effects));
        RefusedUnchanged(task, TaskRefusalCode.TaskFinal, () => b.Contribute(task, Good, task.Terms.FinalDeadline));
        RefusedUnchanged(task, TaskRefusalCode.TaskFinal, () => task.Reveal(a.Address, Good, task.Terms.FinalDeadline));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{TaskStatus.Failed}"), task.Status.ToString());
    }
}
