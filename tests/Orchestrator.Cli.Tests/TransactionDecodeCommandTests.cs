using System.Text.Json;
using Orchestrator.Cli.Commands.Chain;
using Orchestrator.Chain.Tests.Vectors;

namespace Orchestrator.Cli.Tests;

public sealed class TransactionDecodeCommandTests
{
    [Fact]
    public void Eip155ExamplePrintsEveryField()
    {
        var c = ChainVectors.Load("authored/eip155-example.json");

        var (code, output, error) = Run(c.Str("signedTransaction"));

        Assert.Equal(0, code);
        Assert.Empty(error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(0, json.GetProperty("type").GetInt32());
        Assert.Equal("1", json.Str("chainId"));
        Assert.Equal("9", json.Str("nonce"));
        Assert.Equal("20000000000", json.Str("gasPrice"));
        Assert.Equal("21000", json.Str("gas"));
        Assert.Equal("0x3535353535353535353535353535353535353535", json.Str("to"));
        Assert.Equal("1000000000000000000", json.Str("value"));
        Assert.Equal("0x", json.Str("data"));
        Assert.Equal(0, json.GetProperty("accessList").GetArrayLength());
        Assert.Equal("37", json.Str("v"));
        Assert.False(json.TryGetProperty("yParity", out _));
        Assert.Equal(c.Str("r_hex"), json.Str("r"));
        Assert.Equal(c.Str("s_hex"), json.Str("s"));
        Assert.Equal(c.GetProperty("derived").Str("txHash"), json.Str("hash"));
        Assert.Equal(c.GetProperty("derived").Str("senderAddress"), json.Str("from"));
    }

    [Fact]
    public void PreEip155LegacyHasNoChainId()
    {
        var raw = ChainVectors.Load("ethereum-tests/BasicTests/txtest.json")[0].Str("signed");

        var (code, output, _) = Run(raw);

        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.False(json.TryGetProperty("chainId", out _));
        Assert.Equal("27", json.Str("v"));
        Assert.Equal(Orchestrator.Domain.Crypto.Address.Parse("0x13978aee95f38490e9769c39b2773ed763d9cd5f").ToChecksumString(), json.Str("to"));
    }

    [Fact]
    public void Eip1559WithAccessListAndContractCreation()
    {
        var cases = ChainVectors.Load("ethers-v6/transaction-subset.json").EnumerateArray().ToList();
        var withList = cases.First(c => c.GetProperty("transaction").Has("accessList") && c.GetProperty("transaction").GetProperty("accessList").GetArrayLength() > 0);
        var creation = cases.First(c => !c.GetProperty("transaction").Has("to"));

        var (code, output, _) = Run(withList.Str("signedLondon"));
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(2, json.GetProperty("type").GetInt32());
        Assert.True(json.TryGetProperty("maxFeePerGas", out _));
        Assert.True(json.TryGetProperty("maxPriorityFeePerGas", out _));
        Assert.False(json.TryGetProperty("gasPrice", out _));
        Assert.False(json.TryGetProperty("v", out _));
        Assert.Contains(json.Str("yParity"), new[] { "0", "1" });
        var entry = json.GetProperty("accessList")[0];
        Assert.Equal(
            withList.GetProperty("transaction").GetProperty("accessList")[0].Str("address"),
            entry.Str("address"),
            StringComparer.OrdinalIgnoreCase);
        Assert.Equal(
            withList.GetProperty("transaction").GetProperty("accessList")[0].GetProperty("storageKeys").GetArrayLength(),
            entry.GetProperty("storageKeys").GetArrayLength());

        (code, output, _) = Run(creation.Str("signedBerlin"));
        Assert.Equal(0, code);
        json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, json.GetProperty("type").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("to").ValueKind);
    }

    [Theory]
    [InlineData("0xzz", "not hex")]
    [InlineData("0x", "empty")]
    [InlineData("0xf85f800182520894095e7baea6a6c7c4c2dfeb977efac326af552d870a801ba048b55bfa915ac795c431978d8a6a992b628d557da5ff759b307d495a36649353a0efffd310ac743f371de3b9f7f9cb56c0b28ad43601b4ab949f53faa07bd2c804", "n/2")]
    [InlineData("0x04c0", "not supported")]
    public void MalformedInputExitsNonZeroWithTheReason(string hex, string fragment)
    {
        var (code, output, error) = Run(hex);

        Assert.NotEqual(0, code);
        Assert.Empty(output);
        Assert.Contains(fragment, error, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(string hex)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = TransactionDecodeCommand.Run(hex, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
