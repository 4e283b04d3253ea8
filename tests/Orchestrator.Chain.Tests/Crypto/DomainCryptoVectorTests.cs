using System.Text;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Crypto;

/// <summary>The shared chain vectors applied to Orchestrator.Domain.Crypto (Keccak, keys, EIP-55, signing, EIP-191).</summary>
public sealed class DomainCryptoVectorTests
{
    public static IEnumerable<object[]> EthersHashes()
        => Json.Rows(ChainVectors.Load("ethers-v6/hashes.json").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    public static IEnumerable<object[]> AuthoredHashes()
    {
        var file = ChainVectors.Load("authored/keccak-selectors-topics.json");
        var cases = file.GetProperty("keccak256_published").EnumerateArray()
            .Concat(file.GetProperty("keccak256_long_inputs_from_ethereum_tests").GetProperty("cases").EnumerateArray())
            .Concat(file.GetProperty("keccak256_collector_computed_boundaries").GetProperty("cases").EnumerateArray());
        return Json.Rows(cases.Select((c, i) => new Case($"#{i} ({c.HexOf("input_hex").Length} bytes)", c)));
    }

    public static IEnumerable<object[]> EthersAccounts()
        => Json.Rows(ChainVectors.Load("ethers-v6/accounts.json").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    public static IEnumerable<object[]> AnvilAccounts()
        => Json.Rows(ChainVectors.Load("authored/anvil-accounts.json").GetProperty("accounts").EnumerateArray().Select(c => new Case("anvil #" + c.GetProperty("index").GetInt32(), c)));

    public static IEnumerable<object[]> PersonalSign()
        => Json.Rows(ChainVectors.Load("authored/foundry-cast-signatures.json").GetProperty("personalSign").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    [Theory]
    [MemberData(nameof(EthersHashes))]
    public void KeccakEthers(Case vector)
    {
        Assert.Equal(vector.Data.Str("keccak256"), Hex.Encode(Keccak256.Hash(vector.Data.HexOf("data"))));
    }

    [Theory]
    [MemberData(nameof(AuthoredHashes))]
    public void KeccakMultiBlock(Case vector)
    {
        var input = vector.Data.HexOf("input_hex");
        Assert.Equal(vector.Data.Str("keccak256"), Hex.Encode(Keccak256.Hash(input)));

        // The streaming form must agree when the input is split across the 136-byte rate.
        var split = input.Length / 3;
        Assert.Equal(vector.Data.Str("keccak256"), Hex.Encode(Keccak256.HashConcat(input[..split], input[split..])));
    }

    [Theory]
    [MemberData(nameof(EthersAccounts))]
    public void AccountsEthers(Case vector)
    {
        var expected = vector.Data.Str("address");
        var address = Secp256k1.AddressOf(vector.Data.HexOf("privateKey"));

        Assert.Equal(expected, address.ToChecksumString());
        Assert.Equal(address, Address.Parse(expected));
        Assert.Equal(address, Address.Parse(expected.ToLowerInvariant()));
    }

    [Theory]
    [MemberData(nameof(AnvilAccounts))]
    public void AccountsAnvil(Case vector)
    {
        Assert.Equal(vector.Data.Str("address"), Secp256k1.AddressOf(vector.Data.HexOf("privateKey")).ToChecksumString());
    }

    [Fact]
    public void KeyAddrTest()
    {
        foreach (var c in ChainVectors.Load("ethereum-tests/BasicTests/keyaddrtest.json").EnumerateArray())
        {
            var key = c.HexOf("key");
            Assert.Equal(Keccak256.Hash(Encoding.ASCII.GetBytes(c.Str("seed"))), key);
            Assert.Equal("0x" + c.Str("addr"), Secp256k1.AddressOf(key).ToLowerHex());
        }
    }

    [Fact]
    public void Eip55RejectsABadChecksum()
    {
        var good = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        var bad = "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

        Assert.True(Address.TryParse(good, out _, out _));
        Assert.False(Address.TryParse(bad, out _, out var error));
        Assert.Contains("checksum", error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PersonalSign))]
    public void PersonalSignFoundry(Case vector)
    {
        var c = vector.Data;
        var message = c.HexOf("messageBytes");
        var key = c.HexOf("privateKey");

        Assert.Equal(c.Str("hash"), Hex.Encode(EthereumMessage.Hash(message)));
        Assert.Equal(c.Str("hash"), Hex.Encode(Keccak256.Hash(c.HexOf("prefixedMessage"))));
        var signature = EthereumMessage.Sign(message, key);
        Assert.Equal(c.Str("r"), Hex.Encode(signature.R));
        Assert.Equal(c.Str("s"), Hex.Encode(signature.S));
        Assert.Equal(c.GetProperty("yParity").GetInt32(), signature.RecoveryId);
        Assert.Equal(c.Str("signature"), Hex.Encode(signature.ToBytes65()));
        Assert.True(Secp256k1.IsLowS(signature.S));

        Assert.True(Signature.TryFromBytes65(c.HexOf("signature"), out var parsed, out _));
        Assert.True(EthereumMessage.TryRecover(message, parsed!, out var signer));
        Assert.Equal(c.Str("address"), signer.ToChecksumString());
    }

    [Fact]
    public void Eip155ExampleSignatureAndRecovery()
    {
        var c = ChainVectors.Load("authored/eip155-example.json");
        var signature = Secp256k1.Sign(c.HexOf("signingHash"), c.HexOf("privateKey"));

        Assert.Equal(c.Str("r_hex"), Hex.Encode(signature.R));
        Assert.Equal(c.Str("s_hex"), Hex.Encode(signature.S));
        Assert.Equal(c.GetProperty("yParity").GetInt32(), signature.RecoveryId);
        Assert.True(Secp256k1.TryRecoverAddress(c.HexOf("signingHash"), signature, out var signer));
        Assert.Equal(c.GetProperty("derived").Str("senderAddress"), signer.ToChecksumString());
    }

    [Fact]
    public void TxTestCase1IsRfc6979LowS()
    {
        // BasicTests/txtest.json case 1: keccak256(rlp(6 fields)) signed by keccak256("cow").
        var c = ChainVectors.Load("ethereum-tests/BasicTests/txtest.json")[0];
        var signed = c.Str("signed");
        var unsignedSix = Orchestrator.Chain.Rlp.RlpEncoder.Encode(Orchestrator.Chain.Rlp.RlpItem.List(
            ((Orchestrator.Chain.Rlp.RlpList)Orchestrator.Chain.Rlp.RlpDecoder.Decode(Hex.Decode(signed))).Items.Take(6)));
        var signature = Secp256k1.Sign(Keccak256.Hash(unsignedSix), c.HexOf("key"));

        Assert.EndsWith(Hex.Encode(signature.R, prefix: false) + "a0" + Hex.Encode(signature.S, prefix: false), signed, StringComparison.Ordinal);
    }
}
