using System.Text.Json;
using Orchestrator.Chain.Eip712;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Eip712;

public sealed class TypedDataVectorTests
{
    public static IEnumerable<object[]> EthersCases()
        => Json.Rows(ChainVectors.Load("ethers-v6/typed-data.json").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    [Fact]
    public void EthersFileHasAll130Cases() => Assert.Equal(130, EthersCases().Count());

    [Theory]
    [MemberData(nameof(EthersCases))]
    public void EthersEncodedAndDigest(Case vector)
    {
        var c = vector.Data;
        var typedData = new TypedData(TypedData.ParseTypes(c.GetProperty("types")), c.Str("primaryType"), c.GetProperty("domain"), c.GetProperty("data"));

        Assert.Equal(c.Str("encoded"), Hex.Encode(TypedDataEncoder.EncodeData(typedData.Types, typedData.PrimaryType, typedData.Message)));
        Assert.Equal(c.Str("digest"), TypedDataEncoder.Digest(typedData).ToString());

        if (c.Has("privateKey"))
        {
            var signature = TypedDataSigner.Sign(typedData, c.HexOf("privateKey"));
            Assert.Equal(c.Str("signature"), signature.ToString());
            Assert.True(TypedDataSigner.TryRecover(typedData, signature, out var signer));
            Assert.Equal(Secp256k1.AddressOf(c.HexOf("privateKey")), signer);
        }
    }

    [Fact]
    public void Eip712MailExample()
    {
        var c = ChainVectors.Load("authored/eip712-mail.json");
        var expected = c.GetProperty("expected");
        var typedData = TypedData.Parse(c.GetRawText());

        Assert.Equal(expected.Str("encodeType_Mail"), TypedDataEncoder.EncodeType(typedData.Types, "Mail"));
        Assert.Equal(expected.Str("typeHash_Mail"), TypedDataEncoder.TypeHash(typedData.Types, "Mail").ToString());
        Assert.Equal(expected.Str("encodeType_Person"), TypedDataEncoder.EncodeType(typedData.Types, "Person"));
        Assert.Equal(expected.Str("typeHash_Person"), TypedDataEncoder.TypeHash(typedData.Types, "Person").ToString());
        Assert.Equal(expected.Str("encodeType_EIP712Domain"), TypedDataEncoder.EncodeType(typedData.Types, "EIP712Domain"));
        Assert.Equal(expected.Str("typeHash_EIP712Domain"), TypedDataEncoder.TypeHash(typedData.Types, "EIP712Domain").ToString());
        Assert.Equal(expected.Str("encodeData_Mail"), Hex.Encode(TypedDataEncoder.EncodeData(typedData.Types, "Mail", typedData.Message)));
        Assert.Equal(expected.Str("hashStruct_Mail"), TypedDataEncoder.HashStruct(typedData.Types, "Mail", typedData.Message).ToString());
        Assert.Equal(expected.Str("domainSeparator"), TypedDataEncoder.DomainSeparator(typedData.Domain, typedData.Types).ToString());

        // The domain built from its present keys matches the declared EIP712Domain.
        Assert.Equal(expected.Str("domainSeparator"), TypedDataEncoder.DomainSeparator(typedData.Domain).ToString());
        Assert.Equal(expected.Str("digest"), TypedDataEncoder.Digest(typedData).ToString());

        var signature = TypedDataSigner.Sign(typedData, c.HexOf("privateKey"));
        var expectedSignature = expected.GetProperty("signature");
        Assert.Equal(expectedSignature.Str("r"), Hex.Encode(signature.R));
        Assert.Equal(expectedSignature.Str("s"), Hex.Encode(signature.S));
        Assert.Equal(expectedSignature.GetProperty("yParity").GetInt32(), signature.RecoveryId);
        Assert.Equal(expectedSignature.Str("signature"), signature.ToString());
        Assert.True(TypedDataSigner.TryRecover(typedData, signature, out var signer));
        Assert.Equal(c.Str("signerAddress"), signer.ToChecksumString());
    }

    [Fact]
    public void FoundryCastTypedDataWithStringChainId()
    {
        var c = ChainVectors.Load("authored/foundry-cast-signatures.json").GetProperty("typedDataSign")[0];
        var typedData = TypedData.Parse(c.GetProperty("typedData").GetRawText());
        var expected = c.GetProperty("expected");

        Assert.Equal(expected.Str("domainSeparator"), TypedDataEncoder.DomainSeparator(typedData.Domain, typedData.Types).ToString());
        Assert.Equal(expected.Str("hashStruct_Message"), TypedDataEncoder.HashStruct(typedData.Types, typedData.PrimaryType, typedData.Message).ToString());
        Assert.Equal(expected.Str("digest"), TypedDataEncoder.Digest(typedData).ToString());
        Assert.Equal(expected.Str("signature"), TypedDataSigner.Sign(typedData, c.HexOf("privateKey")).ToString());
    }

    [Fact]
    public void MalformedDocumentsAreRejectedWithThePath()
    {
        var types = TypedData.ParseTypes(JsonDocument.Parse("""{"T":[{"name":"a","type":"uint8"},{"name":"b","type":"bytes2[2]"}]}""").RootElement);

        var tooBig = Assert.Throws<FormatException>(() => TypedDataEncoder.EncodeData(types, "T", JsonDocument.Parse("""{"a":256,"b":["0x0102","0x0304"]}""").RootElement));
        Assert.Contains("T.a", tooBig.Message, StringComparison.Ordinal);
        var shortArray = Assert.Throws<FormatException>(() => TypedDataEncoder.EncodeData(types, "T", JsonDocument.Parse("""{"a":1,"b":["0x0102"]}""").RootElement));
        Assert.Contains("T.b", shortArray.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<FormatException>(() => TypedDataEncoder.EncodeData(types, "T", JsonDocument.Parse("""{"a":1}""").RootElement));
        Assert.Contains("T.b is missing", missing.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => TypedDataEncoder.DomainSeparator(JsonDocument.Parse("""{"nonsense":1}""").RootElement));
    }
}
