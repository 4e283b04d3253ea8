using System.Numerics;
using Orchestrator.Abstractions.Events;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Contract;

/// <summary>
/// The OrchestratorHub ABI the bridge and the listener use (contracts/README.md lists the whole surface).
/// Encodes finalizations and claims from the bus events; decodes statuses and DealCreated logs.
/// </summary>
public static class HubContract
{
    /// <summary>On-chain task status: not final yet.</summary>
    public const byte StatusUnset = 0;

    /// <summary>On-chain task status: the task exists and is not final.</summary>
    public const byte StatusActive = 1;

    /// <summary>On-chain task status: finalized.</summary>
    public const byte StatusCompleted = 3;

    /// <summary>On-chain task status: claimed (refunded).</summary>
    public const byte StatusFailed = 4;

    private const string DealParamsTuple = "(address pool, address app, address dataset, uint8 category, uint256 trust, bytes32 tag, uint256 botFirst, uint256 botSize, uint256 taskPrice, string params, bytes32 salt, address callback)";

    /// <summary>finalizeBatch(bytes): the packed batch of <see cref="PackedBatch"/>.</summary>
    public static readonly AbiFunction FinalizeBatch = AbiFunction.Parse("finalizeBatch(bytes batch)");

    /// <summary>claimBatch(bytes32[], uint256[]).</summary>
    public static readonly AbiFunction ClaimBatch = AbiFunction.Parse("claimBatch(bytes32[] dealIds, uint256[] idxs)");

    /// <summary>taskStatusesOf(bytes32[], uint256[]) view returns (uint8[]): a whole batch's statuses in one call.</summary>
    public static readonly AbiFunction TaskStatusesOf = AbiFunction.Parse("taskStatusesOf(bytes32[] dealIds, uint256[] idxs) returns (uint8[])");

    /// <summary>
    /// The TasksFinalized event: one per run of a deal's tasks, the batch's result base (the pool's public
    /// results API), and 40 bytes (uint64 idx ‖ digest) per task.
    /// </summary>
    public static readonly AbiEvent TasksFinalized = AbiEvent.Parse("TasksFinalized(bytes32 indexed dealId, string resultBase, bytes results)");

    /// <summary>The CallbackCalled event: a deal's callback was called for a task, and whether it succeeded.</summary>
    public static readonly AbiEvent CallbackCalled = AbiEvent.Parse("CallbackCalled(bytes32 indexed taskId, address indexed callback, bool success)");

    /// <summary>balanceOf(address) view returns (uint256).</summary>
    public static readonly AbiFunction BalanceOf = AbiFunction.Parse("balanceOf(address account) returns (uint256)");

    /// <summary>registerPool(address scheduler, uint256 ratio).</summary>
    public static readonly AbiFunction RegisterPool = AbiFunction.Parse("registerPool(address scheduler, uint256 schedulerRewardRatioPercent) returns (address)");

    /// <summary>depositFor(address) payable.</summary>
    public static readonly AbiFunction DepositFor = AbiFunction.Parse("depositFor(address account)");

    /// <summary>deposit() payable: credits the value to the caller's free balance.</summary>
    public static readonly AbiFunction Deposit = AbiFunction.Parse("deposit()");

    /// <summary>withdraw(uint256): sends that much of the caller's free balance (never its frozen escrow) to the caller.</summary>
    public static readonly AbiFunction Withdraw = AbiFunction.Parse("withdraw(uint256 amount)");

    /// <summary>frozenOf(address) view returns (uint256): the escrow locked for a requester's unfinished tasks.</summary>
    public static readonly AbiFunction FrozenOf = AbiFunction.Parse("frozenOf(address account) returns (uint256)");

    /// <summary>registerApp(name, image, policy, price) returns (address): the caller's app and the price each task pays its owner.</summary>
    public static readonly AbiFunction RegisterApp = AbiFunction.Parse("registerApp(string name, string image, string policy, uint256 price) returns (address)");

    /// <summary>registerDataset(...) returns (address): the caller's dataset, its price per task and who may use it.</summary>
    public static readonly AbiFunction RegisterDataset = AbiFunction.Parse(
        "registerDataset(string name, bytes32 checksum, string uri, uint256 price, address[] apps, address[] appOwners, address[] requesters, address[] pools) returns (address)");

    /// <summary>setWorkerStakeRatio(uint256): the stake the caller's pool asks of each contributor, percent of the task price.</summary>
    public static readonly AbiFunction SetWorkerStakeRatio = AbiFunction.Parse("setWorkerStakeRatio(uint256 workerStakeRatioPercent)");

    /// <summary>dealEscrowOf(bytes32) view: who the deal pays beside the pool, and how much per task.</summary>
    public static readonly AbiFunction DealEscrowOf = AbiFunction.Parse(
        "dealEscrowOf(bytes32 dealId) returns ((address appOwner, bool hasDataset, address datasetOwner, uint256 appPrice, uint256 datasetPrice))");

    /// <summary>createDeal(DealParams) payable returns (bytes32).</summary>
    public static readonly AbiFunction CreateDeal = AbiFunction.Parse($"createDeal({DealParamsTuple} p) returns (bytes32)");

    /// <summary>The DealCreated event.</summary>
    public static readonly AbiEvent DealCreated = AbiEvent.Parse(
        "DealCreated(bytes32 indexed dealId, address indexed requester, address indexed pool, address app, address dataset, uint8 category, uint256 trust, bytes32 tag, uint256 botFirst, uint256 botSize, uint256 taskPrice, uint256 startTime, string params, address callback)");

    /// <summary>The AppRegistered event: a version of an app, registered by its owner (registerApp / updateApp).</summary>
    public static readonly AbiEvent AppRegistered = AbiEvent.Parse(
        "AppRegistered(address indexed app, address indexed owner, uint32 version, string name, string image, string policy, uint256 price)");

    /// <summary>The DatasetRegistered event: a version of a dataset, registered by its owner, with who may use it.</summary>
    public static readonly AbiEvent DatasetRegistered = AbiEvent.Parse(
        "DatasetRegistered(address indexed dataset, address indexed owner, uint32 version, string name, bytes32 checksum, string uri, uint256 price, address[] apps, address[] appOwners, address[] requesters, address[] pools)");

    /// <summary>Call data finalizing the given completed tasks in one transaction, naming the pool's public results base.</summary>
    public static byte[] EncodeFinalizeBatch(IEnumerable<TaskCompletedV1> tasks, string resultBase = "") => FinalizeBatch.EncodeCall(PackedBatch.Encode(tasks, resultBase));

    /// <summary>Call data claiming (refunding) the given failed tasks in one transaction.</summary>
    public static byte[] EncodeClaimBatch(IReadOnlyCollection<TaskFailedV1> tasks)
        => ClaimBatch.EncodeCall(tasks.Select(t => (object?)t.DealId).ToArray(), tasks.Select(t => (object?)new BigInteger(t.Index)).ToArray());

    /// <summary>Call data of taskStatusesOf for these (deal, index) pairs.</summary>
    public static byte[] EncodeTaskStatuses(IReadOnlyList<(Hash32 DealId, long Index)> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        return TaskStatusesOf.EncodeCall(tasks.Select(t => (object?)t.DealId).ToArray(), tasks.Select(t => (object?)new BigInteger(t.Index)).ToArray());
    }

    /// <summary>Decodes taskStatusesOf's return value: one status per task, in order.</summary>
    public static IReadOnlyList<byte> DecodeTaskStatuses(ReadOnlySpan<byte> output)
        => ((object?[])TaskStatusesOf.DecodeOutput(output)[0]!).Select(s => (byte)(BigInteger)s!).ToList();

    /// <summary>The (index, digest) pairs of one TasksFinalized log's data.</summary>
    public static IReadOnlyList<(long Index, Hash32 ResultDigest)> DecodeTasksFinalized(IReadOnlyList<Hash32> topics, ReadOnlySpan<byte> data)
        => DecodeTasksFinalizedLog(topics, data).Tasks;

    /// <summary>One TasksFinalized log: its result base and (index, digest) pairs.</summary>
    public static (string ResultBase, IReadOnlyList<(long Index, Hash32 ResultDigest)> Tasks) DecodeTasksFinalizedLog(IReadOnlyList<Hash32> topics, ReadOnlySpan<byte> data)
    {
        var values = TasksFinalized.DecodeLog(topics, data);
        var packed = (byte[])values[2]!;
        var result = new List<(long, Hash32)>(packed.Length / 40);
        for (var at = 0; at + 40 <= packed.Length; at += 40)
        {
            result.Add(((long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(packed.AsSpan(at, 8)), new Hash32(packed.AsSpan(at + 8, 32))));
        }

        return ((string)values[1]!, result);
    }
}
