using System.Globalization;
using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tests.Crypto;

public sealed class CryptoSanityTests
{
    internal static readonly BigInteger N = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [Fact]
    public void AnvilAccountZeroKeyGivesItsEip55Address()
    {
        var key = Convert.FromHexString("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
        var address = Secp256k1.AddressOf(key);
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", address.ToChecksumString());
        Assert.Equal("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", address.ToLowerHex());
        Assert.Equal(address, Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    }

    [Fact]
    public void AnvilAccountOneKeyGivesItsEip55Address()
    {
        var key = Convert.FromHexString("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
        Assert.Equal("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", Secp256k1.AddressOf(key).ToString());
    }

    [Fact]
    public void SignRecoverRoundTripForRandomKeysAlwaysLowS()
    {
        for (var i = 0; i < 40; i++)
        {
            var key = Secp256k1.NewPrivateKey();
            var hash = TestKit.RandomHash().ToArray();
            var signature = Secp256k1.Sign(hash, key);

            Assert.True(Secp256k1.IsLowS(signature.S));
            Assert.True(new BigInteger(signature.S, isUnsigned: true, isBigEndian: true) <= N / 2);
            Assert.InRange(signature.RecoveryId, (byte)0, (byte)1);
            Assert.True(Secp256k1.TryRecoverAddress(hash, signature, out var signer));
            Assert.Equal(Secp256k1.AddressOf(key), signer);

            // Deterministic (RFC 6979).
            Assert.Equal(signature.ToBytes65(), Secp256k1.Sign(hash, key).ToBytes65());

            // Another hash does not recover to the signer.
            var other = TestKit.RandomHash().ToArray();
            Assert.False(Secp256k1.TryRecoverAddress(other, signature, out var stranger) && stranger == signer);
        }
    }

    [Fact]
    public void Bytes65RoundTripAndVIs27Or28()
    {
        var key = Secp256k1.NewPrivateKey();
        var signature = Secp256k1.Sign(TestKit.RandomHash().ToArray(), key);
        var bytes = signature.ToBytes65();
        Assert.Equal(65, bytes.Length);
        Assert.Equal(27 + signature.RecoveryId, bytes[64]);
        Assert.True(Signature.TryFromBytes65(bytes, out var back, out _));
        Assert.Equal(bytes, back!.ToBytes65());

        bytes[64] = 29;
        Assert.False(Signature.TryFromBytes65(bytes, out _, out var error));
        Assert.Contains("29", error, StringComparison.Ordinal);
        Assert.False(Signature.TryFromBytes65(bytes.AsSpan(0, 64), out _, out _));
    }

    [Fact]
    public void Eip191PersonalSignRecoversTheSigner()
    {
        var key = Secp256k1.NewPrivateKey();
        var message = TestKit.RandomHash().ToArray();
        var signature = EthereumMessage.Sign(message, key);

        Assert.True(EthereumMessage.TryRecover(message, signature, out var signer));
        Assert.Equal(Secp256k1.AddressOf(key), signer);

        // The prefix is really applied: the same signature over the raw message is someone else's.
        Assert.False(Secp256k1.TryRecoverAddress(message, signature, out var raw) && raw == signer);

        // The hash is keccak256("\x19Ethereum Signed Message:\n32" ‖ message), computed independently.
        var prefix = "\u0019Ethereum Signed Message:\n32"u8.ToArray();
        Assert.Equal(Keccak256.Hash(prefix.Concat(message).ToArray()), EthereumMessage.Hash(message));
    }

    [Fact]
    public void Eip191HashOfHelloWorldMatchesPublishedValue()
    {
        // ethers.hashMessage("Hello World")
        Assert.Equal(
            "a1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2",
            Convert.ToHexStringLower(EthereumMessage.Hash("Hello World"u8)));
    }

    [Fact]
    public void AddressTryParseAcceptsLowerUpperAndValidChecksum()
    {
        Assert.True(Address.TryParse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", out var lower, out _));
        Assert.True(Address.TryParse("0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266", out var upper, out _));
        Assert.True(Address.TryParse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", out var mixed, out _));
        Assert.Equal(lower, upper);
        Assert.Equal(lower, mixed);
    }

    [Fact]
    public void AddressTryParseRejectsWrongChecksum()
    {
        // One letter's case flipped (F → f at position 3).
        Assert.False(Address.TryParse("0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266", out var value, out var error));
        Assert.Contains("checksum", error, StringComparison.Ordinal);
        Assert.Equal(default, value);
        Assert.Throws<FormatException>(() => Address.Parse("0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    }

    [Theory]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb922")]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226600")]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226")]
    [InlineData("0x")]
    [InlineData("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")]
    [InlineData("0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266")]
    [InlineData(null)]
    public void AddressTryParseRejectsWrongLengthsAndNonHex(string? text)
    {
        Assert.False(Address.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void AddressConstructorRejectsWrongLengthAndZeroIsZero()
    {
        Assert.Throws<ArgumentException>(() => new Address(new byte[19]));
        Assert.Throws<ArgumentException>(() => new Address(new byte[21]));
        Assert.True(Address.Zero.IsZero);
        Assert.True(default(Address).IsZero);
        Assert.Equal(Address.Zero, default);
    }

    [Fact]
    public void Hash32ParseFormatRoundTrip()
    {
        for (var i = 0; i < 50; i++)
        {
            var value = TestKit.RandomHash();
            var text = value.ToString();
            Assert.Equal(66, text.Length);
            Assert.StartsWith("0x", text, StringComparison.Ordinal);
            Assert.Equal(text.ToLowerInvariant(), text);
            Assert.Equal(value, Hash32.Parse(text));
            Assert.Equal(value, Hash32.Parse(text[2..]));
            Assert.Equal(value, Hash32.Parse(text.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal)));
            Assert.Equal(value, new Hash32(value.ToArray()));
        }
    }

    [Fact]
    public void Hash32RejectsWrongLengthsAndOrdersBigEndian()
    {
        Assert.False(Hash32.TryParse("0x" + new string('a', 62), out _, out _));
        Assert.False(Hash32.TryParse("0x" + new string('a', 66), out _, out _));
        Assert.False(Hash32.TryParse("0x" + new string('z', 64), out _, out _));
        Assert.Throws<ArgumentException>(() => new Hash32(new byte[31]));

        var low = new byte[32];
        low[31] = 0xFF;
        var high = new byte[32];
        high[0] = 0x01;
        Assert.True(new Hash32(low) < new Hash32(high));
        Assert.True(Hash32.Zero.IsZero);
        Assert.False(new Hash32(low).IsZero);
    }

    [Fact]
    public void KeccakGivesTheKnownDigestsWhenOneThreadHashesOneAfterAnother()
    {
        // Each thread reuses one digest: a hash must start from a clean state however the previous one ended.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Convert.ToHexStringLower(Keccak256.Hash([])));
            Assert.Equal("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", Convert.ToHexStringLower(Keccak256.Hash("abc"u8)));
            Assert.Equal(Keccak256.Hash("abc"u8), Keccak256.HashConcat("a"u8.ToArray(), "bc"u8.ToArray()));
        }
    }
}
