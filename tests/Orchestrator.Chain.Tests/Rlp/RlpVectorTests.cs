using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Orchestrator.Chain.Rlp;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Rlp;

public sealed class RlpVectorTests
{
    public static IEnumerable<object[]> ValidEthereumTests()
        => Json.Rows(ChainVectors.Load("ethereum-tests/RLPTests/rlptest.json").EnumerateObject().Select(p => new Case(p.Name, p.Value)));

    public static IEnumerable<object[]> InvalidEthereumTests()
        => Json.Rows(ChainVectors.Load("ethereum-tests/RLPTests/invalidRLPTest.json").EnumerateObject().Select(p => new Case(p.Name, p.Value)));

    public static IEnumerable<object[]> EthersCases()
        => Json.Rows(ChainVectors.Load("ethers-v6/rlp.json").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    [Theory]
    [MemberData(nameof(ValidEthereumTests))]
    public void EthereumTestsEncodeAndDecodeBack(Case vector)
    {
        var expected = vector.Data.HexOf("out");
        var item = FromEthereumTestsValue(vector.Data.GetProperty("in"));

        Assert.Equal(Hex.Encode(expected), Hex.Encode(RlpEncoder.Encode(item)));
        Assert.Equal(Hex.Encode(expected), Hex.Encode(RlpEncoder.Encode(RlpDecoder.Decode(expected))));
    }

    [Theory]
    [MemberData(nameof(InvalidEthereumTests))]
    public void EthereumTestsInvalidInputsAreRejectedWithAReason(Case vector)
    {
        var bytes = vector.Data.HexOf("out");

        var ok = RlpDecoder.TryDecode(bytes, out _, out var error);

        Assert.False(ok, $"{vector.Name} decoded");
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void RandomRlpExampleDecodesAndReencodes()
    {
        var bytes = ChainVectors.Load("ethereum-tests/RLPTests/RandomRLPTests/example.json").GetProperty("listsoflists2").HexOf("out");

        var item = RlpDecoder.Decode(bytes);

        Assert.True(item.IsList);
        Assert.Equal(bytes, RlpEncoder.Encode(item));
    }

    [Theory]
    [MemberData(nameof(EthersCases))]
    public void EthersEncodeAndDecode(Case vector)
    {
        var encoded = vector.Data.HexOf("encoded");
        var item = FromHexTree(vector.Data.GetProperty("decoded"));

        Assert.Equal(Hex.Encode(encoded), Hex.Encode(RlpEncoder.Encode(item)));
        Assert.Equal(Render(item), Render(RlpDecoder.Decode(encoded)));
    }

    [Theory]
    [InlineData("8100", "single byte")]
    [InlineData("b80100", "short form")]
    [InlineData("b90040", "leading zero")]
    [InlineData("c1", "remain")]
    [InlineData("8080", "trailing")]
    [InlineData("c4820102", "remain")]
    [InlineData("c3830102", "remain")]
    [InlineData("", "empty")]
    public void RejectionReasonsNameTheProblem(string hex, string fragment)
    {
        Assert.False(RlpDecoder.TryDecode(Convert.FromHexString(hex), out _, out var error));
        Assert.Contains(fragment, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void IntegersRejectLeadingZerosAndOversize()
    {
        var withZero = (RlpString)RlpDecoder.Decode(Convert.FromHexString("820001"));
        Assert.Throws<RlpException>(() => withZero.ToInteger("nonce"));
        var nine = (RlpString)RlpDecoder.Decode(Convert.FromHexString("89010000000000000000"));
        Assert.Throws<RlpException>(() => nine.ToInteger("gas", 8));
        Assert.Equal(new BigInteger(1) << 64, nine.ToInteger("value"));
    }

    private static RlpItem FromEthereumTestsValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when value.GetString()!.StartsWith('#') =>
            RlpItem.Integer(BigInteger.Parse(value.GetString()![1..], CultureInfo.InvariantCulture)),
        JsonValueKind.String => RlpItem.String(Encoding.Latin1.GetBytes(value.GetString()!)),
        JsonValueKind.Number => RlpItem.Integer(BigInteger.Parse(value.GetRawText(), CultureInfo.InvariantCulture)),
        JsonValueKind.Array => RlpItem.List(value.EnumerateArray().Select(FromEthereumTestsValue).ToList()),
        _ => throw new FormatException(value.GetRawText()),
    };

    private static RlpItem FromHexTree(JsonElement value) => value.ValueKind == JsonValueKind.Array
        ? RlpItem.List(value.EnumerateArray().Select(FromHexTree).ToList())
        : RlpItem.String(Hex.Decode(value.GetString()!));

    private static string Render(RlpItem item) => item.ToString() ?? string.Empty;
}
