using System.Text.Json;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Transactions;

/// <summary>ethers-v6 transaction-subset: all four forms, unsigned and signed, byte for byte.</summary>
public sealed class EthersTransactionTests
{
    public static IEnumerable<object[]> Cases()
        => Json.Rows(ChainVectors.Load("ethers-v6/transaction-subset.json").EnumerateArray().Select(c => new Case(c.Str("name"), c)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void LegacyPreEip155(Case vector) => Check(vector, "Legacy", Build(vector.Data.GetProperty("transaction"), TransactionType.Legacy, withChainId: false));

    [Theory]
    [MemberData(nameof(Cases))]
    public void LegacyEip155(Case vector) => Check(vector, "Eip155", Build(vector.Data.GetProperty("transaction"), TransactionType.Legacy, withChainId: true));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eip2930(Case vector) => Check(vector, "Berlin", Build(vector.Data.GetProperty("transaction"), TransactionType.AccessList, withChainId: true));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eip1559(Case vector) => Check(vector, "London", Build(vector.Data.GetProperty("transaction"), TransactionType.DynamicFee, withChainId: true));

    private static void Check(Case vector, string variant, Transaction tx)
    {
        var key = vector.Data.HexOf("privateKey");
        var expectedUnsigned = vector.Data.Str("unsigned" + variant);
        var expectedSigned = vector.Data.Str("signed" + variant);

        Assert.Equal(expectedUnsigned, Hex.Encode(TransactionEncoder.EncodeUnsigned(tx)));
        var signed = TransactionSigner.Sign(tx, key);
        Assert.Equal(expectedSigned, Hex.Encode(signed.Raw));
        Assert.Equal(new Hash32(Keccak256.Hash(Hex.Decode(expectedSigned))), signed.Hash);

        var decoded = TransactionDecoder.Decode(Hex.Decode(expectedSigned));
        Assert.Equal(Secp256k1.AddressOf(key), decoded.From);
        Assert.Equal(signed.Hash, decoded.Hash);
        Assert.Equal(tx.Type, decoded.Transaction.Type);
        Assert.Equal(tx.ChainId, decoded.Transaction.ChainId);
        Assert.Equal(expectedUnsigned, Hex.Encode(TransactionEncoder.EncodeUnsigned(decoded.Transaction)));
    }

    private static Transaction Build(JsonElement t, TransactionType type, bool withChainId)
    {
        var legacy = type == TransactionType.Legacy;
        return new Transaction
        {
            Type = type,
            ChainId = withChainId ? Json.Big(t.GetProperty("chainId")) : null,
            Nonce = t.BigOr("nonce", 0),
            GasPrice = t.BigOr("gasPrice", 0),
            MaxPriorityFeePerGas = t.BigOr("maxPriorityFeePerGas", 0),
            MaxFeePerGas = t.BigOr("maxFeePerGas", 0),
            GasLimit = t.BigOr("gasLimit", 0),
            To = t.Has("to") ? Address.Parse(t.Str("to")) : null,
            Value = t.BigOr("value", 0),
            Data = t.Has("data") ? t.HexOf("data") : [],
            AccessList = legacy || !t.Has("accessList") ? [] : t.GetProperty("accessList").EnumerateArray()
                .Select(e => new AccessListEntry(
                    Address.Parse(e.Str("address")),
                    e.GetProperty("storageKeys").EnumerateArray().Select(k => Hash32.Parse(k.GetString()!)).ToList()))
                .ToList(),
        };
    }
}
