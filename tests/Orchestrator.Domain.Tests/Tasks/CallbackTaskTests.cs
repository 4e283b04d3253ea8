using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

/// <summary>Tasks of a deal that names a callback: the reveal carries the app's callback data, and the task keeps it for the chain.</summary>
public sealed class CallbackTaskTests
{
    private static readonly DateTimeOffset T0 = TestKit.Start;
    private static readonly Address Callback = Address.Parse("0x00000000000000000000000000000000000000cb");
    private static readonly byte[] Data = [0x70, 0x72, 0x69, 0x63, 0x65];
    private static readonly Hash32 Digest = CallbackData.Digest(Data);

    [Fact]
    public void TheDealsCallbackReachesItsTasksTerms()
    {
        var deal = new DealSpec { DealId = TestKit.RandomHash(), Requester = Callback, App = Callback, CategoryId = 0, Trust = 1, BotSize = 2, StartTime = T0, Callback = Callback };
        var terms = TaskTerms.For(deal, Category.XS, 1);
        Assert.True(terms.HasCallback);
        Assert.Equal(Callback, terms.Callback);
        Assert.False(TaskTerms.For(deal with { Callback = Address.Zero }, Category.XS, 1).HasCallback);
    }

    [Fact]
    public void WinnersRevealWithTheCallbackDataAndTheTaskKeepsTheFirst()
    {
        var (task, a, b) = Revealing();
        Assert.True(task.Reveal(a.Address, Digest, T0.AddSeconds(20), Data).Accepted);
        Assert.Equal(Data, task.CallbackData);
        var last = task.Reveal(b.Address, Digest, T0.AddSeconds(21), [.. Data]);
        Assert.True(last.Accepted);
        Assert.Equal(TaskStatus.Completed, task.Status);
        Assert.Equal(Digest, task.ResultDigest);
        Assert.Equal(Data, task.CallbackData);
    }

    [Fact]
    public void ARevealWithoutOrWithOtherCallbackDataIsRefusedAndChangesNothing()
    {
        var (task, a, _) = Revealing();
        var before = TaskSnapshot.Of(task);
        var missing = task.Reveal(a.Address, Digest, T0.AddSeconds(20));
        Assert.Equal(TaskRefusalCode.BadCallbackData, missing.Refusal!.Code);
        Assert.Contains("carries the task's callback-data", missing.Refusal.Message, StringComparison.Ordinal);
        var other = task.Reveal(a.Address, Digest, T0.AddSeconds(20), [1, 2, 3]);
        Assert.Equal(TaskRefusalCode.BadCallbackData, other.Refusal!.Code);
        Assert.Equal(before, TaskSnapshot.Of(task));
        Assert.Null(task.CallbackData);
        Assert.True(task.Reveal(a.Address, Digest, T0.AddSeconds(20), Data).Accepted);
    }

    [Fact]
    public void ATaskWithoutCallbackRefusesCallbackDataAndKeepsNone()
    {
        var task = TestKit.NewTask(1);
        var worker = new TestWorker();
        var digest = TestKit.SmallHash(3);
        Assert.True(task.Assign(worker.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(worker.Contribute(task, digest, T0.AddSeconds(2)).Accepted);
        Assert.Equal(TaskRefusalCode.BadCallbackData, task.Reveal(worker.Address, digest, T0.AddSeconds(3), [9]).Refusal!.Code);
        Assert.True(task.Reveal(worker.Address, digest, T0.AddSeconds(3)).Accepted);
        Assert.Null(task.CallbackData);
    }

    [Fact]
    public void TheTeeFastPathTakesTheCallbackDataWithTheEnclaveSignedDigest()
    {
        var terms = TestKit.Terms(1, tag: new TeeTag(0x3)) with { Callback = Callback };
        var task = new TaskRun(ProtocolIds.TaskId(terms.DealId, (ulong)terms.Index), terms);
        var worker = new TestWorker();
        var enclaveKey = Secp256k1.NewPrivateKey();
        Assert.True(task.Assign(worker.Address, 2, T0.AddSeconds(1)).Accepted);
        task.UseEnclaveChallenge(Secp256k1.AddressOf(enclaveKey));
        var hash = ProtocolIds.ResultHash(task.TaskId, Digest);
        var seal = ProtocolIds.ResultSeal(worker.Address, task.TaskId, Digest);
        var signature = EthereumMessage.Sign(ProtocolIds.EnclaveMessage(hash, seal).ToArray(), enclaveKey).ToBytes65();

        Assert.Equal(TaskRefusalCode.BadCallbackData, task.ContributeAndFinalize(worker.Address, 0, Digest, signature, T0.AddSeconds(2)).Refusal!.Code);
        Assert.Equal(TaskStatus.Active, task.Status);
        Assert.True(task.ContributeAndFinalize(worker.Address, 0, Digest, signature, T0.AddSeconds(2), Data).Accepted);
        Assert.Equal(Data, task.CallbackData);
    }

    /// <summary>A trust-3 callback task with two agreeing contributions: REVEALING.</summary>
    private static (TaskRun Task, TestWorker A, TestWorker B) Revealing()
    {
        var terms = TestKit.Terms(3) with { Callback = Callback };
        var task = new TaskRun(ProtocolIds.TaskId(terms.DealId, (ulong)terms.Index), terms);
        var a = new TestWorker();
        var b = new TestWorker();
        Assert.True(task.Assign(a.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(task.Assign(b.Address, 2, T0.AddSeconds(1)).Accepted);
        Assert.True(a.Contribute(task, Digest, T0.AddSeconds(5)).Accepted);
        Assert.True(b.Contribute(task, Digest, T0.AddSeconds(6)).Accepted);
        Assert.Equal(TaskStatus.Revealing, task.Status);
        return (task, a, b);
    }
}
