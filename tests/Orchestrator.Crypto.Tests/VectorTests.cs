using System.Text.Json;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Crypto.Tests;

/// <summary>Public vectors from shared/chain-vectors (foundry cast signatures, anvil and ethers accounts).</summary>
public sealed class VectorTests
{
    private static byte[] Bytes(JsonElement e, string property) => Hex.Decode(e.GetProperty(property).GetString()!);

    private static IEnumerable<(byte[] Key, byte[] Hash, string R, string S, int YParity, string Address)> Signatures()
    {
        var doc = ChainVectors.Load("authored/foundry-cast-signatures.json");
        foreach (var c in doc.GetProperty("personalSign").EnumerateArray())
        {
            yield return (Bytes(c, "privateKey"), Bytes(c, "hash"), c.GetProperty("r").GetString()!, c.GetProperty("s").GetString()!,
                c.GetProperty("yParity").GetInt32(), c.GetProperty("address").GetString()!);
        }

        foreach (var c in doc.GetProperty("typedDataSign").EnumerateArray())
        {
            var x = c.GetProperty("expected");
            yield return (Bytes(c, "privateKey"), Bytes(x, "digest"), x.GetProperty("r").GetString()!, x.GetProperty("s").GetString()!,
                x.GetProperty("yParity").GetInt32(), c.GetProperty("address").GetString()!);
        }
    }

    [Fact]
    public void Foundry_cast_signatures_reproduce_and_recover()
    {
        var count = 0;
        foreach (var (key, hash, r, s, yParity, address) in Signatures())
        {
            var sig = Secp256k1.Sign(hash, key);
            Assert.Equal(Hex.Decode(r), sig.R);
            Assert.Equal(Hex.Decode(s), sig.S);
            Assert.Equal(yParity, sig.RecoveryId);
            Assert.True(Secp256k1.TryRecoverPublicKey(hash, sig, out var pub));
            Assert.Equal(Address.Parse(address), Address.FromPublicKey(pub));
            Assert.Equal(Address.Parse(address), Address.FromPublicKey(Secp256k1.PublicKeyBytes(key)));
            count++;
        }

        Assert.Equal(5, count);
    }

    [Fact]
    public void Public_api_recovers_addresses_of_foundry_signatures()
    {
        foreach (var (_, hash, r, s, yParity, address) in Signatures())
        {
            Assert.True(Secp256k1.TryRecoverAddress(hash, new Signature(Hex.Decode(r), Hex.Decode(s), (byte)yParity), out var recovered));
            Assert.Equal(address, recovered.ToChecksumString());
        }
    }

    [Fact]
    public void Anvil_and_ethers_accounts_derive_their_addresses()
    {
        var accounts = ChainVectors.Load("authored/anvil-accounts.json").GetProperty("accounts").EnumerateArray()
            .Concat(ChainVectors.Load("ethers-v6/accounts.json").EnumerateArray())
            .ToList();
        Assert.Equal(10 + 259, accounts.Count);
        foreach (var a in accounts)
        {
            var key = Bytes(a, "privateKey");
            var expected = a.GetProperty("address").GetString()!;
            Assert.Equal(expected, Address.FromPublicKey(Secp256k1.PublicKeyBytes(key)).ToChecksumString());
            Assert.Equal(expected, Secp256k1.AddressOf(key).ToChecksumString());
        }
    }
}
