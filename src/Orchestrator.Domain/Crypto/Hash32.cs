namespace Orchestrator.Domain.Crypto;

/// <summary>A 32-byte value (hash, deal id, task id) with value equality and 0x-hex text form.</summary>
public readonly struct Hash32 : IEquatable<Hash32>, IComparable<Hash32>
{
    private readonly ulong _a, _b, _c, _d;

    /// <summary>Creates a value from exactly 32 bytes.</summary>
    public Hash32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32)
        {
            throw new ArgumentException($"a 32-byte value was expected, got {bytes.Length} bytes", nameof(bytes));
        }

        _a = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The all-zero value.</summary>
    public static Hash32 Zero => default;

    /// <summary>True when every byte is zero.</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>Parses 0x-prefixed (or bare) hex of exactly 32 bytes.</summary>
    public static Hash32 Parse(string text)
        => TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Parses hex of exactly 32 bytes, reporting why not.</summary>
    public static bool TryParse(string? text, out Hash32 value, out string error)
    {
        value = default;
        if (!Hex.TryDecode(text, out var bytes, out error))
        {
            return false;
        }

        if (bytes.Length != 32)
        {
            error = $"a 32-byte hex value was expected, got {bytes.Length} bytes";
            return false;
        }

        value = new Hash32(bytes);
        return true;
    }

    /// <summary>Writes the 32 bytes big-endian.</summary>
    public void CopyTo(Span<byte> destination)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[32];
        CopyTo(bytes);
        return bytes;
    }

    /// <inheritdoc />
    public bool Equals(Hash32 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hash32 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <inheritdoc />
    public int CompareTo(Hash32 other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <summary>Lowercase 0x-hex.</summary>
    public override string ToString() => Hex.Encode(ToArray());

    /// <summary>Value equality.</summary>
    public static bool operator ==(Hash32 left, Hash32 right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Hash32 left, Hash32 right) => !left.Equals(right);

    /// <summary>Ordering (big-endian numeric).</summary>
    public static bool operator <(Hash32 left, Hash32 right) => left.CompareTo(right) < 0;

    /// <summary>Ordering (big-endian numeric).</summary>
    public static bool operator >(Hash32 left, Hash32 right) => left.CompareTo(right) > 0;

    /// <summary>Ordering (big-endian numeric).</summary>
    public static bool operator <=(Hash32 left, Hash32 right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering (big-endian numeric).</summary>
    public static bool operator >=(Hash32 left, Hash32 right) => left.CompareTo(right) >= 0;
}
