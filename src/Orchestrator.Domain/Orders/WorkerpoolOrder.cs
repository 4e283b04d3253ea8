using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// A workerpool owner's offer of computing: PoCo v5's <c>WorkerpoolOrder</c>, field for field.
/// <code>WorkerpoolOrder(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt)</code>
/// Pools are keyed by their owner's address here, so <paramref name="Workerpool"/> is the owner who signs.
/// </summary>
/// <param name="Workerpool">The pool (its owner's address).</param>
/// <param name="WorkerpoolPrice">Price per task in wei.</param>
/// <param name="Volume">How many tasks the order sells in all.</param>
/// <param name="Tag">The TEE bits the pool's workers offer.</param>
/// <param name="Category">The category sold (0 XS .. 4 XL).</param>
/// <param name="Trust">The highest trust the pool accepts.</param>
/// <param name="AppRestrict">The only app allowed, or zero.</param>
/// <param name="DatasetRestrict">The only dataset allowed, or zero.</param>
/// <param name="RequesterRestrict">The only requester allowed, or zero.</param>
/// <param name="Salt">Makes otherwise identical orders distinct.</param>
public sealed record WorkerpoolOrder(
    Address Workerpool, BigInteger WorkerpoolPrice, BigInteger Volume, Hash32 Tag, BigInteger Category, BigInteger Trust,
    Address AppRestrict, Address DatasetRestrict, Address RequesterRestrict, Hash32 Salt)
{
    /// <summary>encodeType, exactly PoCo's.</summary>
    public const string TypeString =
        "WorkerpoolOrder(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt)";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <summary>hashStruct(order).</summary>
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.Address(Workerpool), Eip712Words.UInt(WorkerpoolPrice), Eip712Words.UInt(Volume), Tag.ToArray(),
        Eip712Words.UInt(Category), Eip712Words.UInt(Trust),
        Eip712Words.Address(AppRestrict), Eip712Words.Address(DatasetRestrict), Eip712Words.Address(RequesterRestrict), Salt.ToArray()));
}
