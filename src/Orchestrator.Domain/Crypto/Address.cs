using System.Text;

namespace Orchestrator.Domain.Crypto;

/// <summary>A 20-byte Ethereum account address; text form is EIP-55 checksummed hex.</summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    private readonly byte[]? _bytes;

    /// <summary>Creates an address from exactly 20 bytes.</summary>
    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 20)
        {
            throw new ArgumentException($"an address is 20 bytes, got {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    /// <summary>The zero address (used as the "no enclave" challenge).</summary>
    public static Address Zero => new(new byte[20]);

    /// <summary>The 20 bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[20];

    /// <summary>True for the zero address.</summary>
    public bool IsZero => Bytes.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Parses 0x-hex of 20 bytes. Mixed-case input must carry a valid EIP-55 checksum.</summary>
    public static Address Parse(string text)
        => TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Parses 0x-hex of 20 bytes, reporting why not. All-lower or all-upper hex skips the checksum.</summary>
    public static bool TryParse(string? text, out Address value, out string error)
    {
        value = default;
        if (text is null || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            error = "an address must be 0x followed by 40 hex digits";
            return false;
        }

        if (!Hex.TryDecode(text, out var bytes, out error))
        {
            return false;
        }

        if (bytes.Length != 20)
        {
            error = $"an address is 20 bytes, got {bytes.Length}";
            return false;
        }

        value = new Address(bytes);
        var digits = text[2..];
        var mixedCase = digits.Any(char.IsAsciiLetterLower) && digits.Any(char.IsAsciiLetterUpper);
        if (mixedCase && value.ToChecksumString()[2..] != digits)
        {
            error = "the address's EIP-55 checksum does not match";
            value = default;
            return false;
        }

        return true;
    }

    /// <summary>The address of an uncompressed secp256k1 public key (64 bytes, X ‖ Y).</summary>
    public static Address FromPublicKey(ReadOnlySpan<byte> publicKeyXY)
    {
        if (publicKeyXY.Length == 65 && publicKeyXY[0] == 0x04)
        {
            publicKeyXY = publicKeyXY[1..];
        }

        if (publicKeyXY.Length != 64)
        {
            throw new ArgumentException("an uncompressed public key is 64 bytes (X ‖ Y)", nameof(publicKeyXY));
        }

        return new Address(Keccak256.Hash(publicKeyXY).AsSpan(12));
    }

    /// <summary>EIP-55 mixed-case checksummed hex.</summary>
    public string ToChecksumString()
    {
        var lower = Convert.ToHexStringLower(Bytes);
        var hash = Keccak256.Hash(Encoding.ASCII.GetBytes(lower));
        var sb = new StringBuilder("0x", 42);
        for (var i = 0; i < lower.Length; i++)
        {
            var nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
            sb.Append(nibble >= 8 ? char.ToUpperInvariant(lower[i]) : lower[i]);
        }

        return sb.ToString();
    }

    /// <summary>Lowercase 0x-hex: the canonical key form for grains and maps.</summary>
    public string ToLowerHex() => Hex.Encode(Bytes);

    /// <summary>EIP-55 text.</summary>
    public override string ToString() => ToChecksumString();

    /// <inheritdoc />
    public bool Equals(Address other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public int CompareTo(Address other) => Bytes.SequenceCompareTo(other.Bytes);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Address left, Address right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Address left, Address right) => !left.Equals(right);
}
