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

    /// <summary>On-chain task status: finalized.</summary>
    public const byte StatusCompleted = 3;

    /// <summary>On-chain task status: claimed (refunded).</summary>
    public const byte StatusFailed = 4;

    private const string ContributionTuple = "(address worker, bytes32 resultHash, bytes32 resultSeal, address enclaveChallenge, bytes workerSignature, bytes enclaveSignature, bool revealed)";
    private const string DealParamsTuple = "(address pool, address app, address dataset, uint8 category, uint256 trust, bytes32 tag, uint256 botFirst, uint256 botSize, uint256 taskPrice, string params, bytes32 salt)";

    /// <summary>finalizeBatch(TaskResult[]).</summary>
    public static readonly AbiFunction FinalizeBatch = AbiFunction.Parse($"finalizeBatch((bytes32 dealId, uint256 idx, bytes32 resultDigest, {ContributionTuple}[] contributions)[] results)");

    /// <summary>claimBatch(bytes32[], uint256[]).</summary>
    public static readonly AbiFunction ClaimBatch = AbiFunction.Parse("claimBatch(bytes32[] dealIds, uint256[] idxs)");

    /// <summary>taskStatus(bytes32) view returns (uint8).</summary>
    public static readonly AbiFunction TaskStatus = AbiFunction.Parse("taskStatus(bytes32 taskId) returns (uint8)");

    /// <summary>balanceOf(address) view returns (uint256).</summary>
    public static readonly AbiFunction BalanceOf = AbiFunction.Parse("balanceOf(address account) returns (uint256)");

    /// <summary>registerPool(address scheduler, uint256 ratio).</summary>
    public static readonly AbiFunction RegisterPool = AbiFunction.Parse("registerPool(address scheduler, uint256 schedulerRewardRatioPercent) returns (address)");

    /// <summary>depositFor(address) payable.</summary>
    public static readonly AbiFunction DepositFor = AbiFunction.Parse("depositFor(address account)");

    /// <summary>createDeal(DealParams) payable returns (bytes32).</summary>
    public static readonly AbiFunction CreateDeal = AbiFunction.Parse($"createDeal({DealParamsTuple} p) returns (bytes32)");

    /// <summary>The DealCreated event.</summary>
    public static readonly AbiEvent DealCreated = AbiEvent.Parse(
        "DealCreated(bytes32 indexed dealId, address indexed requester, address indexed pool, address app, address dataset, uint8 category, uint256 trust, bytes32 tag, uint256 botFirst, uint256 botSize, uint256 taskPrice, uint256 startTime, string params)");

    /// <summary>Call data finalizing the given completed tasks in one transaction.</summary>
    public static byte[] EncodeFinalizeBatch(IEnumerable<TaskCompletedV1> tasks)
    {
        var results = tasks.Select(t => (object?)new object?[]
        {
            t.DealId,
            new BigInteger(t.Index),
            t.ResultDigest,
            t.Contributions.Select(c => (object?)new object?[]
            {
                c.Worker, c.ResultHash, c.ResultSeal, c.EnclaveChallenge, c.WorkerSignature, c.EnclaveSignature, c.Revealed,
            }).ToArray(),
        }).ToArray();
        return FinalizeBatch.EncodeCall([results]);
    }

    /// <summary>Call data claiming (refunding) the given failed tasks in one transaction.</summary>
    public static byte[] EncodeClaimBatch(IReadOnlyCollection<TaskFailedV1> tasks)
        => ClaimBatch.EncodeCall(tasks.Select(t => (object?)t.DealId).ToArray(), tasks.Select(t => (object?)new BigInteger(t.Index)).ToArray());

    /// <summary>Call data of taskStatus(taskId).</summary>
    public static byte[] EncodeTaskStatus(Hash32 taskId) => TaskStatus.EncodeCall(taskId);

    /// <summary>Decodes taskStatus's return value.</summary>
    public static byte DecodeTaskStatus(ReadOnlySpan<byte> output) => (byte)(BigInteger)TaskStatus.DecodeOutput(output)[0]!;
}
