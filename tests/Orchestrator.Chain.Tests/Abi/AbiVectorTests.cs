using System.Text;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Abi;

public sealed class AbiVectorTests
{
    public static IEnumerable<object[]> EthersCases()
        => Json.Rows(ChainVectors.Load("ethers-v6/abi-subset.json").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    public static IEnumerable<object[]> BasicAbiTests()
        => Json.Rows(ChainVectors.Load("ethereum-tests/ABITests/basic_abi_tests.json").EnumerateObject().Select(p => new Case(p.Name, p.Value)));

    public static IEnumerable<object[]> SpecCalls()
        => Json.Rows(ChainVectors.Load("authored/solidity-abi-spec-examples.json").GetProperty("calls").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    public static IEnumerable<object[]> Selectors()
        => Json.Rows(ChainVectors.Load("authored/keccak-selectors-topics.json").GetProperty("functionSelectors").GetProperty("cases").EnumerateArray()
            .Concat(ChainVectors.Load("authored/solidity-abi-spec-examples.json").GetProperty("selectorsOnly").EnumerateArray())
            .Select(c => new Case(c.Str("signature"), c)));

    public static IEnumerable<object[]> Topics()
        => Json.Rows(ChainVectors.Load("authored/keccak-selectors-topics.json").GetProperty("eventTopics").GetProperty("cases").EnumerateArray()
            .Select(c => new Case(c.Str("signature"), c)));

    [Theory]
    [MemberData(nameof(EthersCases))]
    public void EthersSingleValueEncodesAndDecodes(Case vector)
    {
        var type = AbiType.Parse(vector.Data.Str("type"));
        var value = AbiValueConversion.FromVerbose(vector.Data.GetProperty("verbose"));
        var expected = vector.Data.Str("encoded");

        Assert.Equal(expected, Hex.Encode(AbiEncoder.Encode(type, value)));
        Assert.Equal(AbiValueConversion.Render(value), AbiValueConversion.Render(AbiDecoder.Decode(type, Hex.Decode(expected))));
    }

    [Theory]
    [MemberData(nameof(BasicAbiTests))]
    public void EthereumTestsArgumentTuples(Case vector)
    {
        var types = vector.Data.GetProperty("types").EnumerateArray().Select(t => AbiType.Parse(t.GetString()!)).ToList();
        var args = vector.Data.GetProperty("args").EnumerateArray().Select((a, i) => AbiValueConversion.FromTyped(types[i], a)).ToList();
        var expected = vector.Data.HexOf("result");

        Assert.Equal(Hex.Encode(expected), Hex.Encode(AbiEncoder.Encode(types, args)));
        Assert.Equal(AbiValueConversion.Render(args.ToArray()), AbiValueConversion.Render(AbiDecoder.Decode(types, expected)));
    }

    [Theory]
    [MemberData(nameof(SpecCalls))]
    public void SolidityDocsExamples(Case vector)
    {
        var function = AbiFunction.Parse(vector.Data.Str("signature"));
        var args = vector.Data.GetProperty("args").EnumerateArray().Select((a, i) => AbiValueConversion.FromTyped(function.Inputs[i].Type, a)).ToArray();

        Assert.Equal(vector.Data.Str("selector"), Hex.Encode(function.Selector));
        Assert.Equal(vector.Data.Str("argumentsEncoding"), Hex.Encode(AbiEncoder.Encode(function.Inputs.Select(p => p.Type).ToList(), args)));
        Assert.Equal(vector.Data.Str("calldata"), Hex.Encode(function.EncodeCall(args)));
        Assert.Equal(AbiValueConversion.Render(args), AbiValueConversion.Render(function.DecodeCall(vector.Data.HexOf("calldata"))));

        if (vector.Data.Has("returns"))
        {
            var returns = vector.Data.GetProperty("returns");
            var types = returns.GetProperty("types").EnumerateArray().Select(t => AbiType.Parse(t.GetString()!)).ToList();
            var value = AbiValueConversion.FromTyped(types[0], returns.GetProperty("value"));
            Assert.Equal(returns.Str("encoded"), Hex.Encode(AbiEncoder.Encode(types, [value])));
        }
    }

    [Fact]
    public void ErrorStringRevertDataGivesTheReason()
    {
        var call = ChainVectors.Load("authored/solidity-abi-spec-examples.json").GetProperty("calls").EnumerateArray().Single(c => c.Str("signature") == "Error(string)");

        Assert.True(AbiRevert.TryDecodeReason(call.HexOf("calldata"), out var reason));
        Assert.Equal("Not enough Ether provided.", reason);
    }

    [Fact]
    public void EncodePackedSpecExample()
    {
        var packed = ChainVectors.Load("authored/solidity-abi-spec-examples.json").GetProperty("encodePacked")[0];
        var types = packed.GetProperty("types").EnumerateArray().Select(t => AbiType.Parse(t.GetString()!)).ToList();
        var args = packed.GetProperty("args").EnumerateArray().Select((a, i) => AbiValueConversion.FromTyped(types[i], a)).ToList();

        Assert.Equal(packed.Str("encoded"), Hex.Encode(AbiPacked.Encode(types, args)));
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public void FunctionSelectors(Case vector)
    {
        Assert.Equal(vector.Data.Str("selector"), Hex.Encode(AbiFunction.Parse(vector.Data.Str("signature")).Selector));
    }

    [Theory]
    [MemberData(nameof(Topics))]
    public void EventTopics(Case vector)
    {
        Assert.Equal(vector.Data.Str("topic0"), AbiEvent.Parse(vector.Data.Str("signature")).Topic0.ToString());
    }

    [Fact]
    public void SignatureKeywordsNamesAndAliasesAreCanonicalised()
    {
        var function = AbiFunction.Parse("function finalize((bytes32 taskId, bytes32 digest, address[] workers)[] calldata batch) external returns (uint count)");

        Assert.Equal("finalize((bytes32,bytes32,address[])[])", function.Signature);
        Assert.Equal(Keccak256.Hash(Encoding.ASCII.GetBytes("finalize((bytes32,bytes32,address[])[])"))[..4], function.Selector);
        Assert.Equal("batch", function.Inputs[0].Name);
        Assert.Equal(AbiType.UInt(), function.Outputs[0].Type);
        Assert.Equal("(uint256,int256,bytes1)[2][]", AbiType.Parse("tuple(uint, int, byte)[2][]").CanonicalName);
    }

    [Theory]
    [InlineData("uint7")]
    [InlineData("uint264")]
    [InlineData("bytes33")]
    [InlineData("bytes0")]
    [InlineData("(uint256")]
    [InlineData("uint256[0]")]
    [InlineData("float")]
    [InlineData("uint256 x")]
    public void InvalidTypesAreRejected(string text)
    {
        Assert.ThrowsAny<FormatException>(() => AbiType.Parse(text));
    }
}
