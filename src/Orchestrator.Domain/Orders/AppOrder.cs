using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Orders;

/// <summary>
/// An app owner's offer to let its app run: PoCo v5's <c>AppOrder</c>, field for field.
/// <code>AppOrder(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)</code>
/// A restriction of zero allows everyone; otherwise only the address it names.
/// </summary>
/// <param name="App">The app (its registered owner signs).</param>
/// <param name="AppPrice">Price per task in wei.</param>
/// <param name="Volume">How many tasks the order sells in all.</param>
/// <param name="Tag">The TEE bits the app needs (its TEE bit must be set for a TEE deal).</param>
/// <param name="DatasetRestrict">The only dataset allowed, or zero.</param>
/// <param name="WorkerpoolRestrict">The only pool allowed, or zero.</param>
/// <param name="RequesterRestrict">The only requester allowed, or zero.</param>
/// <param name="Salt">Makes otherwise identical orders distinct.</param>
public sealed record AppOrder(
    Address App, BigInteger AppPrice, BigInteger Volume, Hash32 Tag,
    Address DatasetRestrict, Address WorkerpoolRestrict, Address RequesterRestrict, Hash32 Salt)
{
    /// <summary>encodeType, exactly PoCo's.</summary>
    public const string TypeString =
        "AppOrder(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)";

    private static readonly byte[] TypeHash = Eip712Words.TypeHash(TypeString);

    /// <summary>hashStruct(order).</summary>
    public Hash32 StructHash() => new(Keccak256.HashConcat(
        TypeHash, Eip712Words.Address(App), Eip712Words.UInt(AppPrice), Eip712Words.UInt(Volume), Tag.ToArray(),
        Eip712Words.Address(DatasetRestrict), Eip712Words.Address(WorkerpoolRestrict), Eip712Words.Address(RequesterRestrict), Salt.ToArray()));
}
