using System.Numerics;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Bridge.Contract;

/// <summary>
/// The hub's order surface: <c>matchOrders</c>, cancellation, consumed counts and the EIP-5267 domain, with the Domain's
/// orders as arguments and the hub's order errors read back as the Domain's <see cref="OrderRule"/> (same names).
/// </summary>
public static class HubOrders
{
    private const string AppTuple = "(address app, uint256 appprice, uint256 volume, bytes32 tag, address datasetrestrict, address workerpoolrestrict, address requesterrestrict, bytes32 salt, bytes sign)";
    private const string DatasetTuple = "(address dataset, uint256 datasetprice, uint256 volume, bytes32 tag, address apprestrict, address workerpoolrestrict, address requesterrestrict, bytes32 salt, bytes sign)";
    private const string WorkerpoolTuple = "(address workerpool, uint256 workerpoolprice, uint256 volume, bytes32 tag, uint256 category, uint256 trust, address apprestrict, address datasetrestrict, address requesterrestrict, bytes32 salt, bytes sign)";
    private const string RequestTuple = "(address app, uint256 appmaxprice, address dataset, uint256 datasetmaxprice, address workerpool, uint256 workerpoolmaxprice, address requester, uint256 volume, bytes32 tag, uint256 category, uint256 trust, address beneficiary, address callback, string params, bytes32 salt, bytes sign)";

    /// <summary>matchOrders(app, dataset, workerpool, request) returns (bytes32 dealId).</summary>
    public static readonly AbiFunction MatchOrders = AbiFunction.Parse($"matchOrders({AppTuple} a, {DatasetTuple} d, {WorkerpoolTuple} w, {RequestTuple} r) returns (bytes32)");

    /// <summary>cancelWorkerpoolOrder(order): the pool owner ends a workerpool order.</summary>
    public static readonly AbiFunction CancelWorkerpoolOrder = AbiFunction.Parse($"cancelWorkerpoolOrder({WorkerpoolTuple} w)");

    /// <summary>consumedOf(bytes32 orderDigest) returns (uint256).</summary>
    public static readonly AbiFunction ConsumedOf = AbiFunction.Parse("consumedOf(bytes32 orderHash) returns (uint256)");

    /// <summary>EIP-5267's eip712Domain().</summary>
    public static readonly AbiFunction Eip712Domain = AbiFunction.Parse(
        "eip712Domain() returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)");

    /// <summary>The order errors (matchOrders' refusals), by selector.</summary>
    private static readonly Dictionary<string, AbiFunction> Errors = new[]
    {
        "CategoryMismatch(uint256,uint256)", "UnknownCategory(uint256)", "TrustAboveOffer(uint256,uint256)", "PriceAboveMax(uint8,uint256,uint256)",
        "TagNotOffered(bytes32,bytes32)", "TeeAppRequired(bytes32)", "InvalidTag(bytes32)", "InvalidTrust(uint256)", "AssetMismatch(uint8)",
        "Restricted(uint8,address,address)", "UnknownAsset(address)", "BadOrderSignature(uint8)", "VolumeExhausted(uint8,bytes32)",
        "BotOutOfRange(uint256,uint256)", "InsufficientBalance(uint256,uint256)", "NotOrderSigner(bytes32,address)",
    }.Select(s => AbiFunction.Parse("error " + s)).ToDictionary(e => Convert.ToHexString(e.Selector));

    /// <summary>The four orders with their signatures as matchOrders' arguments.</summary>
    public static byte[] EncodeMatch(OrderSet orders)
    {
        ArgumentNullException.ThrowIfNull(orders);
        return MatchOrders.EncodeCall(
            App(orders.App, orders.AppSignature), Dataset(orders.Dataset, orders.DatasetSignature),
            Workerpool(orders.Workerpool, orders.WorkerpoolSignature), Request(orders.Request, orders.RequestSignature));
    }

    /// <summary>A workerpool order as its tuple (the signature is not checked by cancellation: pass any bytes).</summary>
    public static object?[] Workerpool(WorkerpoolOrder o, byte[] sign)
    {
        ArgumentNullException.ThrowIfNull(o);
        return [o.Workerpool, o.WorkerpoolPrice, o.Volume, o.Tag, o.Category, o.Trust, o.AppRestrict, o.DatasetRestrict, o.RequesterRestrict, o.Salt, sign];
    }

    /// <summary>
    /// The rule an order revert names (the hub's error name, which is the <see cref="OrderRule"/>'s), and its party argument
    /// when it has one; null for revert data that is not an order rule (InsufficientBalance, an unknown error).
    /// </summary>
    public static (OrderRule Rule, OrderParty? Party)? TryDecodeRefusal(ReadOnlySpan<byte> revertData)
    {
        if (revertData.Length < 4 || !Errors.TryGetValue(Convert.ToHexString(revertData[..4]), out var error)
            || !Enum.TryParse<OrderRule>(error.Name, out var rule))
        {
            return null;
        }

        var args = error.DecodeCall(revertData);
        OrderParty? party = error.Name is "PriceAboveMax" or "AssetMismatch" or "Restricted" or "BadOrderSignature" or "VolumeExhausted"
            ? (OrderParty)(int)(BigInteger)args[0]!
            : null;
        return (rule, party);
    }

    /// <summary>The error's name and arguments as text (for messages), or null when unknown.</summary>
    public static string? Describe(ReadOnlySpan<byte> revertData)
    {
        if (revertData.Length < 4 || !Errors.TryGetValue(Convert.ToHexString(revertData[..4]), out var error))
        {
            return null;
        }

        var args = error.DecodeCall(revertData);
        return error.Name + "(" + string.Join(", ", args.Select(a => a switch
        {
            byte[] b => Hex.Encode(b),
            BigInteger i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => a?.ToString() ?? "null",
        })) + ")";
    }

    private static object?[] App(AppOrder o, byte[] sign)
        => [o.App, o.AppPrice, o.Volume, o.Tag, o.DatasetRestrict, o.WorkerpoolRestrict, o.RequesterRestrict, o.Salt, sign];

    private static object?[] Dataset(DatasetOrder o, byte[] sign)
        => [o.Dataset, o.DatasetPrice, o.Volume, o.Tag, o.AppRestrict, o.WorkerpoolRestrict, o.RequesterRestrict, o.Salt, sign];

    private static object?[] Request(RequestOrder o, byte[] sign)
        => [o.App, o.AppMaxPrice, o.Dataset, o.DatasetMaxPrice, o.Workerpool, o.WorkerpoolMaxPrice, o.Requester, o.Volume, o.Tag, o.Category, o.Trust,
            o.Beneficiary, o.Callback, o.Params, o.Salt, sign];
}
