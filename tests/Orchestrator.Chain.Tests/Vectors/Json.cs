using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Vectors;

/// <summary>Small readers for the loosely typed vector JSON.</summary>
public static class Json
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static byte[] HexOf(this JsonElement e, string name) => Hex.Decode(e.Str(name));

    public static bool Has(this JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind != JsonValueKind.Null;

    /// <summary>A JSON number, decimal string, or 0x-hex string ("0x" alone is zero).</summary>
    public static BigInteger Big(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => BigInteger.Parse(e.GetRawText(), CultureInfo.InvariantCulture),
        JsonValueKind.String when e.GetString() is "0x" or "" => BigInteger.Zero,
        JsonValueKind.String => UnsignedBigEndian.ParseQuantity(e.GetString()!),
        _ => throw new FormatException("not a number: " + e.GetRawText()),
    };

    public static BigInteger BigOr(this JsonElement e, string name, BigInteger fallback)
        => e.Has(name) ? Big(e.GetProperty(name)) : fallback;

    public static IEnumerable<object[]> Rows(IEnumerable<Case> cases) => cases.Select(c => new object[] { c });
}
