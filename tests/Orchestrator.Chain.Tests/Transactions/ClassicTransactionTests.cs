using System.Globalization;
using System.Numerics;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Transactions;

/// <summary>BasicTests/txtest.json (pre-EIP-155), the EIP-155 example, and the signer convenience.</summary>
public sealed class ClassicTransactionTests
{
    [Fact]
    public void TxTestCase1IsReproducedBySigning()
    {
        var c = ChainVectors.Load("ethereum-tests/BasicTests/txtest.json")[0];
        var tx = FromTxTest(c);

        // The signing payload is the six fields only, not the file's "unsigned" with three empty items.
        Assert.NotEqual(c.Str("unsigned"), Hex.Encode(TransactionEncoder.EncodeUnsigned(tx), prefix: false));
        var signed = TransactionSigner.Sign(tx, c.HexOf("key"));
        Assert.Equal(c.Str("signed"), Hex.Encode(signed.Raw, prefix: false));
        Assert.Equal(27, (int)signed.V);
    }

    [Fact]
    public void TxTestCase2HasHighSAndDecodesOnlyWhenAllowed()
    {
        var c = ChainVectors.Load("ethereum-tests/BasicTests/txtest.json")[1];
        var raw = c.HexOf("signed");

        Assert.False(TransactionDecoder.TryDecode(raw, out _, out var error));
        Assert.Contains("n/2", error, StringComparison.Ordinal);
        var decoded = TransactionDecoder.Decode(raw, new TransactionDecodeOptions { AllowHighS = true });
        Assert.Equal(Secp256k1.AddressOf(c.HexOf("key")), decoded.From);
        Assert.Null(decoded.Transaction.To);
        Assert.Equal(c.HexOf("data"), decoded.Transaction.Data);
        Assert.Equal(TransactionEncoder.EncodeUnsigned(FromTxTest(c)), TransactionEncoder.EncodeUnsigned(decoded.Transaction));
    }

    [Fact]
    public void Eip155ExampleIsReproduced()
    {
        var c = ChainVectors.Load("authored/eip155-example.json");
        var t = c.GetProperty("transaction");
        var tx = new Transaction
        {
            Type = TransactionType.Legacy,
            ChainId = c.GetProperty("chainId").GetInt32(),
            Nonce = Json.Big(t.GetProperty("nonce")),
            GasPrice = Json.Big(t.GetProperty("gasPrice")),
            GasLimit = Json.Big(t.GetProperty("gasLimit")),
            To = Address.Parse(t.Str("to")),
            Value = Json.Big(t.GetProperty("value")),
        };

        Assert.Equal(c.Str("signingData"), Hex.Encode(TransactionEncoder.EncodeUnsigned(tx)));
        Assert.Equal(c.Str("signingHash"), TransactionEncoder.SigningHash(tx).ToString());
        var signed = TransactionSigner.Sign(tx, c.HexOf("privateKey"));
        Assert.Equal(c.Str("signedTransaction"), Hex.Encode(signed.Raw));
        Assert.Equal(37, (int)signed.V);
        Assert.Equal(c.Str("r_hex"), Hex.Encode(signed.Signature.R));
        Assert.Equal(c.Str("s_hex"), Hex.Encode(signed.Signature.S));
        Assert.Equal(BigInteger.Parse(c.Str("r"), CultureInfo.InvariantCulture), new BigInteger(signed.Signature.R, isUnsigned: true, isBigEndian: true));
        var derived = c.GetProperty("derived");
        Assert.Equal(derived.Str("txHash"), signed.Hash.ToString());
        var decoded = TransactionDecoder.Decode(signed.Raw, new TransactionDecodeOptions { ExpectedChainId = 1 });
        Assert.Equal(derived.Str("senderAddress"), decoded.From.ToChecksumString());
    }

    [Fact]
    public void SignEip1559BuildsADecodableTransfer()
    {
        var key = Hex.Decode("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
        var to = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

        var signed = TransactionSigner.SignEip1559(31337, 0, 1_000_000_000, 2_000_000_000, 21_000, to, BigInteger.Pow(10, 18), [], key);

        Assert.Equal(0x02, signed.Raw[0]);
        var decoded = TransactionDecoder.Decode(signed.Raw, new TransactionDecodeOptions { ExpectedChainId = 31337 });
        Assert.Equal(Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), decoded.From);
        Assert.Equal(signed.Hash, decoded.Hash);
        Assert.Equal(to, decoded.Transaction.To);
        Assert.True(TransactionRules.TryValidate(decoded.Transaction, out _));
        Assert.Throws<TransactionFormatException>(() => TransactionDecoder.Decode(signed.Raw, new TransactionDecodeOptions { ExpectedChainId = 1 }));
        Assert.Throws<ArgumentException>(() => TransactionSigner.SignEip1559(1, 0, 3, 2, 21_000, to, 0, [], key));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("03c0", "type 0x03")]
    [InlineData("02c0", "12 fields")]
    [InlineData("01c0", "11 fields")]
    [InlineData("c0", "9 fields")]
    public void MalformedInputsSayWhy(string hex, string fragment)
    {
        Assert.False(TransactionDecoder.TryDecode(Convert.FromHexString(hex), out _, out var error));
        Assert.Contains(fragment, error, StringComparison.Ordinal);
    }

    private static Transaction FromTxTest(System.Text.Json.JsonElement c) => new()
    {
        Type = TransactionType.Legacy,
        Nonce = Json.Big(c.GetProperty("nonce")),
        GasPrice = Json.Big(c.GetProperty("gasprice")),
        GasLimit = Json.Big(c.GetProperty("startgas")),
        To = c.Str("to").Length == 0 ? null : new Address(c.HexOf("to")),
        Value = Json.Big(c.GetProperty("value")),
        Data = c.HexOf("data"),
    };
}
