using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Orchestrator.Domain.Crypto;

/// <summary>
/// The 32-byte words of EIP-712's encodeData for the atomic and dynamic types the pool's typed
/// requests use, and the signing digest over the pool's domain
/// (<see cref="Results.ResultRequest.DomainSeparator"/>): one place for every signed request, so results,
/// the registry, secrets and later orders hash the same way.
/// </summary>
public static class Eip712Words
{
    /// <summary>keccak256(UTF-8 text): how a <c>string</c> member is encoded.</summary>
    public static byte[] String(string text) => Keccak256.Hash(Encoding.UTF8.GetBytes(text));

    /// <summary>A <c>uint64</c> (or any unsigned integer that fits) as a big-endian word.</summary>
    public static byte[] UInt(ulong value)
    {
        var word = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(word.AsSpan(24), value);
        return word;
    }

    /// <summary>A <c>uint256</c> as a big-endian word; negative or wider values are refused.</summary>
    public static byte[] UInt(BigInteger value)
    {
        if (value.Sign < 0 || value.GetByteCount(isUnsigned: true) > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a uint256 is 0..2^256-1");
        }

        var word = new byte[32];
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        bytes.CopyTo(word, 32 - bytes.Length);
        return word;
    }

    /// <summary>An <c>address</c>: 12 zero bytes, then the 20 address bytes.</summary>
    public static byte[] Address(Address address) => [.. new byte[12], .. address.Bytes];

    /// <summary>An <c>address[]</c>: keccak256 of the elements' words concatenated.</summary>
    public static byte[] Addresses(IEnumerable<Address> addresses)
        => Keccak256.Hash(addresses.SelectMany(a => Address(a)).ToArray());

    /// <summary>A <c>bool</c>: 0 or 1 as a word.</summary>
    public static byte[] Bool(bool value) => UInt(value ? 1UL : 0UL);

    /// <summary>keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct): what the signer signs.</summary>
    public static Hash32 Digest(ulong chainId, Address verifyingContract, Hash32 structHash) => new(Keccak256.HashConcat(
        [0x19, 0x01], Results.ResultRequest.DomainSeparator(chainId, verifyingContract).ToArray(), structHash.ToArray()));

    /// <summary>keccak256 of an encodeType text: a struct's type hash.</summary>
    public static byte[] TypeHash(string encodeType) => Keccak256.Hash(Encoding.ASCII.GetBytes(encodeType));
}
