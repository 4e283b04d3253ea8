using System.Numerics;
using System.Text;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Abi;

public sealed class AbiBehaviourTests
{
    private static readonly Address Alice = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    private static readonly Address Bob = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

    [Fact]
    public void TransferLogDecodesIndexedAndDataParameters()
    {
        var transfer = AbiEvent.Parse("event Transfer(address indexed from, address indexed to, uint256 value)");
        var topics = new[] { transfer.Topic0, AbiEvent.EncodeTopic(AbiType.Address, Alice), AbiEvent.EncodeTopic(AbiType.Address, Bob) };
        var data = AbiEncoder.Encode(AbiType.UInt(), new BigInteger(1000));

        var values = transfer.DecodeLog(topics, data);

        Assert.Equal(Alice, values[0]);
        Assert.Equal(Bob, values[1]);
        Assert.Equal(new BigInteger(1000), values[2]);
        Assert.Equal("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef", transfer.Topic0.ToString());
    }

    [Fact]
    public void IndexedDynamicParametersComeBackAsTheirHash()
    {
        var created = AbiEvent.Parse("DealCreated(bytes32 indexed dealId, string indexed tag, uint256[] indexed ids, string app, int64 delta)");
        var dealId = new Hash32(Keccak256.Hash(Encoding.ASCII.GetBytes("deal")));
        var ids = new object[] { BigInteger.One, new BigInteger(2) };
        var topics = new[]
        {
            created.Topic0,
            AbiEvent.EncodeTopic(AbiType.FixedBytes(32), dealId),
            AbiEvent.EncodeTopic(AbiType.String, "tee"),
            AbiEvent.EncodeTopic(AbiType.Parse("uint256[]"), ids),
        };
        var data = AbiEncoder.Encode([AbiType.String, AbiType.Int(64)], ["app", new BigInteger(-5)]);

        var values = created.DecodeLog(topics, data);

        Assert.Equal(dealId.ToArray(), values[0]);
        Assert.Equal(new Hash32(Keccak256.Hash(Encoding.UTF8.GetBytes("tee"))), values[1]);
        Assert.Equal(new Hash32(Keccak256.Hash(AbiEncoder.Encode([AbiType.UInt(), AbiType.UInt()], ids))), values[2]);
        Assert.Equal("app", values[3]);
        Assert.Equal(new BigInteger(-5), values[4]);
        Assert.Throws<AbiException>(() => created.DecodeLog(topics[..3], data));
        Assert.Throws<AbiException>(() => created.DecodeLog([topics[1], topics[1], topics[2], topics[3]], data));
    }

    [Fact]
    public void NestedDynamicTuplesRoundTrip()
    {
        var function = AbiFunction.Parse("finalize((bytes32,bytes32,address[])[])");
        var batch = new object[]
        {
            new object[] { new byte[32], Keccak256.Hash([1]), new object[] { Alice, Bob } },
            new object[] { Keccak256.Hash([2]), Keccak256.Hash([3]), Array.Empty<object>() },
        };

        var callData = function.EncodeCall([batch]);
        var decoded = function.DecodeCall(callData);

        Assert.Equal(AbiValueConversion.Render(new object[] { batch }), AbiValueConversion.Render(decoded));
    }

    [Theory]
    [InlineData("uint8", "0000000000000000000000000000000000000000000000000000000000000100", "bits set")]
    [InlineData("int8", "0000000000000000000000000000000000000000000000000000000000000080", "sign extension")]
    [InlineData("bool", "0000000000000000000000000000000000000000000000000000000000000002", "not 0 or 1")]
    [InlineData("address", "0100000000000000000000000000000000000000000000000000000000000000", "high bytes")]
    [InlineData("bytes1", "0101000000000000000000000000000000000000000000000000000000000000", "padding")]
    [InlineData("uint256", "00", "ends")]
    [InlineData("bytes", "0000000000000000000000000000000000000000000000000000000000000040", "outside")]
    [InlineData("bytes", "00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000021", "past the end")]
    [InlineData("uint256[]", "0000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000ffff", "exceeds")]
    public void DecoderRejectsMalformedData(string type, string hex, string fragment)
    {
        var error = Assert.Throws<AbiException>(() => AbiDecoder.Decode(AbiType.Parse(type), Convert.FromHexString(hex)));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncoderRejectsOutOfRangeAndWrongShapes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AbiEncoder.Encode(AbiType.UInt(8), 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => AbiEncoder.Encode(AbiType.Int(8), -129));
        Assert.Throws<ArgumentOutOfRangeException>(() => AbiEncoder.Encode(AbiType.UInt(), -1));
        Assert.Throws<ArgumentException>(() => AbiEncoder.Encode(AbiType.FixedBytes(4), new byte[3]));
        Assert.Throws<ArgumentException>(() => AbiEncoder.Encode(AbiType.Parse("uint8[2]"), new object[] { 1 }));
        Assert.Equal(
            "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80",
            Hex.Encode(AbiEncoder.Encode(AbiType.Int(8), -128)));
    }

    [Fact]
    public void PanicRevertDataGivesTheCode()
    {
        var panic = AbiFunction.Parse("Panic(uint256)").EncodeCall(new BigInteger(0x11));

        Assert.True(AbiRevert.TryDecodeReason(panic, out var reason));
        Assert.Equal("panic 0x11", reason);
        Assert.False(AbiRevert.TryDecodeReason(AbiFunction.Parse("InsufficientBalance(uint256,uint256)").EncodeCall(1, 2), out _));
    }
}
