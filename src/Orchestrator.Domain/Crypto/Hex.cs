namespace Orchestrator.Domain.Crypto;

/// <summary>Hex text helpers with and without the 0x prefix.</summary>
public static class Hex
{
    /// <summary>Lowercase hex with a 0x prefix.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes, bool prefix = true)
        => (prefix ? "0x" : string.Empty) + Convert.ToHexStringLower(bytes);

    /// <summary>Decodes hex with or without 0x; throws <see cref="FormatException"/> with the reason.</summary>
    public static byte[] Decode(string text)
    {
        if (!TryDecode(text, out var bytes, out var error))
        {
            throw new FormatException(error);
        }

        return bytes;
    }

    /// <summary>Decodes hex with or without 0x, reporting why it is not hex.</summary>
    public static bool TryDecode(string? text, out byte[] bytes, out string error)
    {
        bytes = [];
        if (text is null)
        {
            error = "hex string is missing";
            return false;
        }

        var span = text.AsSpan().Trim();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            span = span[2..];
        }

        if (span.Length % 2 != 0)
        {
            error = $"hex string has an odd number of digits ({span.Length})";
            return false;
        }

        foreach (var c in span)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                error = $"'{c}' is not a hex digit";
                return false;
            }
        }

        bytes = Convert.FromHexString(span);
        error = string.Empty;
        return true;
    }
}
