using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Tests.Unit;

public sealed class HubErrorTests
{
    private static readonly Hash32 Task = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void TaskAlreadyFinalNamesTheTaskAndMeansDone()
    {
        var error = HubError.TryDecode(AbiFunction.Parse("TaskAlreadyFinal(bytes32)").EncodeCall(Task));
        Assert.NotNull(error);
        Assert.Equal(HubErrorKind.AlreadyFinal, error.Kind);
        Assert.Equal(Task, error.TaskId);
    }

    [Fact]
    public void InvalidTaskIndexNamesTheTaskItRefuses()
    {
        // Without the task id the batcher could not take the task out and sent the same batch again for ever.
        var error = HubError.TryDecode(AbiFunction.Parse("InvalidTaskIndex(bytes32,uint256)").EncodeCall(Task, new System.Numerics.BigInteger(7)));
        Assert.NotNull(error);
        Assert.Equal(Task, error.DealId);
        Assert.Equal(Orchestrator.Domain.Ids.ProtocolIds.TaskId(Task, 7UL), error.TaskId);
    }

    [Fact]
    public void SignatureAndDealErrorsAreRefusalsWithTheirArguments()
    {
        var worker = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        var bad = HubError.TryDecode(AbiFunction.Parse("BadWorkerSignature(bytes32,address)").EncodeCall(Task, worker));
        Assert.Equal(HubErrorKind.TaskRejected, bad!.Kind);
        Assert.Contains(worker.ToString(), bad.Reason, StringComparison.Ordinal);

        var deal = HubError.TryDecode(AbiFunction.Parse("UnknownDeal(bytes32)").EncodeCall(Task));
        Assert.Equal(HubErrorKind.DealRejected, deal!.Kind);
        Assert.Equal(Task, deal.DealId);
        Assert.Null(deal.TaskId);

        var early = HubError.TryDecode(AbiFunction.Parse("TaskNotExpired(bytes32,uint256)").EncodeCall(Task, 3000));
        Assert.Equal(HubErrorKind.NotYet, early!.Kind);
    }

    [Fact]
    public void ForeignOrTruncatedRevertDataIsNotAHubError()
    {
        Assert.Null(HubError.TryDecode([]));
        Assert.Null(HubError.TryDecode([1, 2, 3]));
        Assert.Null(HubError.TryDecode(AbiFunction.Parse("Error(string)").EncodeCall("nope")));
        var truncated = AbiFunction.Parse("TaskAlreadyFinal(bytes32)").EncodeCall(Task)[..20];
        Assert.Null(HubError.TryDecode(truncated));
    }
}
