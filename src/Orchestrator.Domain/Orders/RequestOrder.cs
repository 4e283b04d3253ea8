using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// A requester's bid: PoCo v5's <c>RequestOrder</c>, field for field.
/// <code>RequestOrder(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address beneficiary,address callback,string params,bytes32 salt)</code>
/// </summary>
/// <param name="App">The app to run.</param>
/// <param name="AppMaxPrice">The most the requester pays the app owner per task.</param>
/// <param name="Dataset">The dataset, or zero for none.</param>
/// <param name="DatasetMaxPrice">The most the requester pays the dataset owner per task.</param>
/// <param name="Workerpool">The only pool allowed, or zero for any.</param>
/// <param name="WorkerpoolMaxPrice">The most the requester pays the pool per task.</param>
/// <param name="Requester">Who signs and pays.</param>
/// <param name="Volume">How many tasks the requester buys in all.</param>
/// <param name="Tag">The TEE bits the requester asks for.</param>
/// <param name="Category">The category (0 XS .. 4 XL).</param>
/// <param name="Trust">The trust asked for (PoCo: max(trust, 1) contributions' worth of credibility).</param>
/// <param name="Beneficiary">Who may read the results.</param>
/// <param name="Callback">The contract called with each task's callback data, or zero.</param>
/// <param name="Params">The tasks' parameters.</param>
/// <param name="Salt">Makes otherwise identical orders distinct.</param>
public sealed record RequestOrder(
    Address App, BigInteger AppMaxPrice, Address Dataset, BigInteger DatasetMaxPrice, Address Workerpool, BigInteger WorkerpoolMaxPrice,
    Address Requester, BigInteger Volume, Hash32 Tag, BigInteger Category, BigInteger Trust,
    Address Beneficiary, Address Callback, string Params, Hash32 Salt)
{
    /// <summary>encodeType, exactly PoCo's.</summary>
    public const string TypeString =
        "RequestOrder(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address beneficiary,address callback,string params,bytes32 salt)";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <summary>hashStruct(order).</summary>
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.Address(App), Eip712Words.UInt(AppMaxPrice), Eip712Words.Address(Dataset), Eip712Words.UInt(DatasetMaxPrice),
        Eip712Words.Address(Workerpool), Eip712Words.UInt(WorkerpoolMaxPrice), Eip712Words.Address(Requester), Eip712Words.UInt(Volume),
        Tag.ToArray(), Eip712Words.UInt(Category), Eip712Words.UInt(Trust), Eip712Words.Address(Beneficiary), Eip712Words.Address(Callback),
        Eip712Words.String(Params), Salt.ToArray()));
}
