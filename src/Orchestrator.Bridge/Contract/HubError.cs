using System.Numerics;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Contract;

/// <summary>What a revert of the hub means to the bridge.</summary>
public enum HubErrorKind
{
    /// <summary>Revert data the bridge does not recognise.</summary>
    Unknown = 0,

    /// <summary>The task is already final on chain: drop it, it is done (never send it again).</summary>
    AlreadyFinal = 1,

    /// <summary>This task can never be sent as it is (bad signature, no consensus, expired...): its message goes to the error queue.</summary>
    TaskRejected = 2,

    /// <summary>Every task of this deal is refused (the deal is unknown on chain).</summary>
    DealRejected = 3,

    /// <summary>Not yet: the task's final deadline has not passed on chain (a claim sent too early). Retried later.</summary>
    NotYet = 4,

    /// <summary>The bridge's account is not the pool's scheduler: a configuration error, nothing can be sent.</summary>
    NotScheduler = 5,
}

/// <summary>A decoded custom error of OrchestratorHub.</summary>
/// <param name="Kind">What the bridge does about it.</param>
/// <param name="Name">The Solidity error name.</param>
/// <param name="TaskId">The task it names, when it names one.</param>
/// <param name="DealId">The deal it names, when it names one.</param>
/// <param name="Reason">A sentence for operators (it lands in the error queue's fault headers).</param>
public sealed record HubError(HubErrorKind Kind, string Name, Hash32? TaskId, Hash32? DealId, string Reason)
{
    private static readonly Dictionary<string, (AbiFunction Shape, HubErrorKind Kind)> Errors = new[]
    {
        ("TaskAlreadyFinal(bytes32)", HubErrorKind.AlreadyFinal),
        ("TaskExpired(bytes32,uint256)", HubErrorKind.TaskRejected),
        ("TaskNotExpired(bytes32,uint256)", HubErrorKind.NotYet),
        ("NoContribution(bytes32)", HubErrorKind.TaskRejected),
        ("DuplicateWorker(bytes32,address)", HubErrorKind.TaskRejected),
        ("BadWorkerSignature(bytes32,address)", HubErrorKind.TaskRejected),
        ("BadEnclaveSignature(bytes32,address)", HubErrorKind.TaskRejected),
        ("InsufficientStake(bytes32,address,uint256,uint256)", HubErrorKind.TaskRejected),
        ("NoConsensus(bytes32)", HubErrorKind.TaskRejected),
        ("BadReveal(bytes32,address)", HubErrorKind.TaskRejected),
        ("NoReveal(bytes32)", HubErrorKind.TaskRejected),
        ("InvalidTaskIndex(bytes32,uint256)", HubErrorKind.TaskRejected),
        ("MissingCallbackData(bytes32)", HubErrorKind.TaskRejected),
        ("UnexpectedCallbackData(bytes32)", HubErrorKind.TaskRejected),
        ("BadCallbackData(bytes32,bytes32,bytes32)", HubErrorKind.TaskRejected),
        ("CallbackDataTooLong(bytes32,uint256)", HubErrorKind.TaskRejected),
        ("UnknownDeal(bytes32)", HubErrorKind.DealRejected),
        ("NotScheduler(address,address)", HubErrorKind.NotScheduler),
    }.Select(e => (Shape: AbiFunction.Parse(e.Item1), e.Item2)).ToDictionary(e => Convert.ToHexString(e.Shape.Selector), e => (e.Shape, e.Item2));

    /// <summary>Decodes revert data; null when it is empty or not one of the hub's errors.</summary>
    public static HubError? TryDecode(ReadOnlySpan<byte> revertData)
    {
        if (revertData.Length < 4 || !Errors.TryGetValue(Convert.ToHexString(revertData[..4]), out var known))
        {
            return null;
        }

        object?[] args;
        try
        {
            args = known.Shape.DecodeCall(revertData);
        }
        catch (AbiException)
        {
            return null;
        }

        var name = known.Shape.Name;
        var reason = name + "(" + string.Join(", ", args.Select(Render)) + ")";
        return name switch
        {
            "UnknownDeal" => new HubError(known.Kind, name, null, new Hash32((byte[])args[0]!), reason),
            "NotScheduler" => new HubError(known.Kind, name, null, null, reason),
            "InvalidTaskIndex" => new HubError(known.Kind, name, TaskIdOf(args), new Hash32((byte[])args[0]!), reason),
            _ => new HubError(known.Kind, name, new Hash32((byte[])args[0]!), null, reason),
        };
    }

    // InvalidTaskIndex(bytes32 dealId, uint256 idx) names its task by deal and index.
    private static Hash32? TaskIdOf(object?[] args)
        => args[1] is BigInteger idx && idx >= 0 && idx <= ulong.MaxValue ? Domain.Ids.ProtocolIds.TaskId(new Hash32((byte[])args[0]!), (ulong)idx) : null;

    private static string Render(object? value) => value switch
    {
        byte[] bytes => Hex.Encode(bytes),
        BigInteger b => b.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "null",
    };
}
