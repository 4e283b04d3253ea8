using System.Numerics;

namespace Orchestrator.Chain.Numerics;

/// <summary>
/// Conversions between non-negative <see cref="BigInteger"/> values and the minimal big-endian byte
/// strings Ethereum uses for quantities (RLP integers, JSON-RPC quantities).
/// </summary>
public static class UnsignedBigEndian
{
    /// <summary>2^256 − 1, the largest EVM word.</summary>
    public static readonly BigInteger MaxUInt256 = (BigInteger.One << 256) - 1;

    /// <summary>2^64 − 1, the largest nonce or gas limit.</summary>
    public static readonly BigInteger MaxUInt64 = ulong.MaxValue;

    /// <summary>Minimal big-endian bytes: zero is the empty string, never 0x00.</summary>
    public static byte[] ToBytes(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a quantity cannot be negative");
        }

        return value.IsZero ? [] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Reads big-endian bytes as a non-negative integer (leading zeros are allowed here).</summary>
    public static BigInteger FromBytes(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    /// <summary>Left-pads the minimal form to <paramref name="width"/> bytes.</summary>
    public static byte[] ToFixed(BigInteger value, int width)
    {
        var minimal = ToBytes(value);
        if (minimal.Length > width)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"the value needs {minimal.Length} bytes, more than {width}");
        }

        var padded = new byte[width];
        minimal.CopyTo(padded, width - minimal.Length);
        return padded;
    }

    /// <summary>"0x…" quantity text as JSON-RPC writes it: no leading zeros, zero is "0x0".</summary>
    public static string ToQuantity(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a quantity cannot be negative");
        }

        return value.IsZero ? "0x0" : "0x" + Convert.ToHexStringLower(ToBytes(value)).TrimStart('0');
    }

    /// <summary>Parses a JSON-RPC quantity ("0x1a") or, leniently, decimal text.</summary>
    public static BigInteger ParseQuantity(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var digits = text.AsSpan(2);
            if (digits.Length == 0)
            {
                throw new FormatException("a hex quantity needs at least one digit");
            }

            foreach (var c in digits)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    throw new FormatException($"'{c}' is not a hex digit in quantity '{text}'");
                }
            }

            return BigInteger.Parse("0" + digits.ToString(), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
        }

        return BigInteger.Parse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);
    }
}
