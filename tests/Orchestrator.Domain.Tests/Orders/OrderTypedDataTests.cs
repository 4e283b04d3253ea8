using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Domain.Tests.Orders;

/// <summary>
/// The four orders hash and sign exactly as wallets do. Vectors computed with ethers 6 (npm): TypedDataEncoder.hashDomain,
/// hashStruct and hash, and Wallet(Key).signTypedData, for domain { name: "OrchestratorHub", version: "1", chainId: 31337,
/// verifyingContract: Hub } and the orders below (PoCo v5's type strings; a non-ASCII params string; a salt ≥ 2^255).
/// </summary>
public sealed class OrderTypedDataTests
{
    internal static readonly byte[] Key = Hex.Decode("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    internal static readonly Address Requester = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    internal static readonly Address Hub = Address.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    internal const ulong ChainId = 31337;

    private static readonly Address App = Repeat("a1");
    private static readonly Address Dataset = Repeat("d1");
    private static readonly Address Pool = Repeat("b2");

    private static readonly AppOrder AppOrder = new(App, 3, 10, Word(3), Dataset, Address.Zero, Requester, Word(0x1234));

    private static readonly DatasetOrder DatasetOrder = new(Dataset, 5, 7, Word(0), App, Pool, Address.Zero, Word(0x55));

    private static readonly WorkerpoolOrder WorkerpoolOrder = new(
        Pool, BigInteger.Pow(10, 15), 100, Word(0xF), 2, 1, Address.Zero, Dataset, Requester, Word(BigInteger.One << 255));

    private static readonly RequestOrder RequestOrder = new(
        App, 3, Dataset, 5, Pool, BigInteger.Pow(10, 15), Requester, 4, Word(3), 2, 1, Requester, Repeat("c0"), "{\"args\":\"--input 42 ✓\"}", Word(9));

    [Fact]
    public void TheDomainSeparatorIsTheOneEthersComputes()
        => Assert.Equal("0x693063256fdc1d3d3ee49138befc52beedd683a75286ef6271a21a0fc052eead", OrderDomain.Separator(ChainId, Hub).ToString());

    [Theory]
    [InlineData("app", "0xe5b3695ff6444724c9937e5252dd5158a1df8222912a88f5d59fd3d93c7fc788", "0x5bce58d35727ceb799cd2b7d32329d64a2620da95787bdf8cc2fd8880c41cb5c", "0xcf07e5b84164a14df6a734206962a19d57baf8ca8b7707e753ef88d8ea8683860be0311f474bd58f4114bb26f968ce58f6e607a4031d0b7cd6502d9b2e4344ef1b")]
    [InlineData("dataset", "0x25b6737f5ca9f4a7e861cfd30bc920ae64e8c674901b584c7d778a230777cada", "0x8b414a47f9fabecd1e46216d6b7025b87e3cea22fcd025c642898e5c11f2932b", "0x182f5bddab7211c3be77e3f43ac423a3258c53a1ed386c14b8f6a1eef17f048d60b6785e4239ac6fe2edc76b52c44213ba488750f93feb0214050f76002fa2a01b")]
    [InlineData("workerpool", "0xa4460058ad773cf454be09303af211b96b9a272e60d0706ced178b90259ef64a", "0x717efb82645d063586a7cd92884b579081d175fee718cdb76b08bededb42c894", "0x902f4065fe937a90c64d06ae71016577de2b01f9bbdbc2d2e8292c11a8bd0c366cdbb1b14a7ea0a03be135e77ab1b38ea2f80b1bb5cff6e4a813e8462965dada1b")]
    [InlineData("request", "0x7c8b6a9982a152bb8210789d96795a70a9451767f5d12bb36668dc47c3df7959", "0x673146aabf26021ebf5f107ff2bd09a0973d58a5b8b7bb6420a0dbbeb3c10bf3", "0x421d5431635a3f2138acfc5abb06ad7e091f86e1df81ca46d5005a5be2fe85433367a8592ebef01e15d0ed7bf440a64a70bb693e4dec2b72c20cfe81af17f6fc1b")]
    public void StructHashesDigestsAndSignaturesAreThoseEthersComputes(string which, string structHash, string digest, string signature)
    {
        var hash = which switch
        {
            "app" => AppOrder.StructHash(),
            "dataset" => DatasetOrder.StructHash(),
            "workerpool" => WorkerpoolOrder.StructHash(),
            _ => RequestOrder.StructHash(),
        };
        Assert.Equal(structHash, hash.ToString());
        var signed = OrderDomain.Digest(ChainId, Hub, hash);
        Assert.Equal(digest, signed.ToString());
        Assert.Equal(signature, Secp256k1.Sign(signed.ToArray(), Key).ToString());
        Assert.True(OrderMatching.SignedBy(signed, Hex.Decode(signature), Requester));
    }

    [Fact]
    public void TheTypeStringsArePoCoV5s()
    {
        Assert.Equal("AppOrder(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)", AppOrder.TypeString);
        Assert.Equal("DatasetOrder(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt)", DatasetOrder.TypeString);
        Assert.Equal("WorkerpoolOrder(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt)", WorkerpoolOrder.TypeString);
        Assert.Equal("RequestOrder(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address beneficiary,address callback,string params,bytes32 salt)", RequestOrder.TypeString);
    }

    [Fact]
    public void ASignatureIsRefusedUnderAnotherChainOrHubAndWhenMalleable()
    {
        var signature = Secp256k1.Sign(OrderDomain.Digest(ChainId, Hub, RequestOrder.StructHash()).ToArray(), Key).ToBytes65();
        Assert.False(OrderMatching.SignedBy(OrderDomain.Digest(1, Hub, RequestOrder.StructHash()), signature, Requester));
        Assert.False(OrderMatching.SignedBy(OrderDomain.Digest(ChainId, Pool, RequestOrder.StructHash()), signature, Requester));

        // s' = n − s recovers the same key but is refused, as ecrecover's callers on the hub refuse it.
        var s = new BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var n = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        var malleable = (byte[])signature.Clone();
        (n - s).ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(malleable.AsSpan(32));
        malleable[64] = (byte)(signature[64] == 27 ? 28 : 27);
        Assert.False(OrderMatching.SignedBy(OrderDomain.Digest(ChainId, Hub, RequestOrder.StructHash()), malleable, Requester));
        Assert.False(OrderMatching.SignedBy(OrderDomain.Digest(ChainId, Hub, RequestOrder.StructHash()), signature.AsSpan(0, 64), Requester));
    }

    internal static Hash32 Word(BigInteger value)
    {
        var bytes = new byte[32];
        value.ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(bytes.AsSpan(32 - value.GetByteCount(isUnsigned: true)));
        return new Hash32(bytes);
    }

    internal static Address Repeat(string twoHex) => Address.Parse("0x" + string.Concat(Enumerable.Repeat(twoHex, 20)));
}
