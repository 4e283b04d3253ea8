using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Crypto;

/// <summary>Edge cases of the Domain crypto classes that the Chain code relies on.</summary>
public sealed class DomainCryptoObservationsTests
{
    [Fact]
    public void SignRefusesOutOfRangeKeys()
    {
        var n = Convert.FromHexString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");

        Assert.Throws<ArgumentException>(() => Secp256k1.Sign(new byte[32], new byte[32]));
        Assert.Throws<ArgumentException>(() => Secp256k1.Sign(new byte[32], n));
    }

    /// <summary>
    /// Known Domain bug (reported, not ours to fix): Secp256k1.PublicKeyBytes/AddressOf do not range-check
    /// the key, so n+1 silently yields the address of key 1 while Sign refuses it, and 0 fails with a
    /// misleading "public key is 64 bytes" message.
    /// </summary>
    [Fact]
    public void AddressOfRefusesOutOfRangeKeysLikeSign()
    {
        var nPlusOne = Convert.FromHexString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364142");

        var tooLarge = Assert.Throws<ArgumentException>(() => Secp256k1.AddressOf(nPlusOne));
        Assert.Contains("out of range", tooLarge.Message, StringComparison.Ordinal);
        var zero = Assert.Throws<ArgumentException>(() => Secp256k1.AddressOf(new byte[32]));
        Assert.Contains("out of range", zero.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecoveryRefusesZeroAndOutOfRangeSignatureValues()
    {
        var hash = Keccak256.Hash([1]);
        var n = Convert.FromHexString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");

        Assert.False(Secp256k1.TryRecoverAddress(hash, new Signature(new byte[32], Keccak256.Hash([2]), 0), out _));
        Assert.False(Secp256k1.TryRecoverAddress(hash, new Signature(Keccak256.Hash([2]), n, 0), out _));
        Assert.False(Secp256k1.TryRecoverAddress(hash, new Signature(Keccak256.Hash([2]), Keccak256.Hash([3]), 2), out _));
    }
}
