using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// A dataset owner's offer to let its dataset be used: PoCo v5's <c>DatasetOrder</c>, field for field.
/// <code>DatasetOrder(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)</code>
/// A deal without a dataset carries <see cref="None"/> (all zero, unsigned), as PoCo's does.
/// </summary>
/// <param name="Dataset">The dataset (its registered owner signs).</param>
/// <param name="DatasetPrice">Price per task in wei.</param>
/// <param name="Volume">How many tasks the order sells in all.</param>
/// <param name="Tag">The TEE bits the dataset needs.</param>
/// <param name="AppRestrict">The only app allowed, or zero.</param>
/// <param name="WorkerpoolRestrict">The only pool allowed, or zero.</param>
/// <param name="RequesterRestrict">The only requester allowed, or zero.</param>
/// <param name="Salt">Makes otherwise identical orders distinct.</param>
public sealed record DatasetOrder(
    Address Dataset, BigInteger DatasetPrice, BigInteger Volume, Hash32 Tag,
    Address AppRestrict, Address WorkerpoolRestrict, Address RequesterRestrict, Hash32 Salt)
{
    /// <summary>encodeType, exactly PoCo's.</summary>
    public const string TypeString =
        "DatasetOrder(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <summary>The empty order a deal without a dataset carries.</summary>
    public static DatasetOrder None { get; } = new(
        Address.Zero, BigInteger.Zero, BigInteger.Zero, Hash32.Zero, Address.Zero, Address.Zero, Address.Zero, Hash32.Zero);

    /// <summary>hashStruct(order).</summary>
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.Address(Dataset), Eip712Words.UInt(DatasetPrice), Eip712Words.UInt(Volume), Tag.ToArray(),
        Eip712Words.Address(AppRestrict), Eip712Words.Address(WorkerpoolRestrict), Eip712Words.Address(RequesterRestrict), Salt.ToArray()));
}
