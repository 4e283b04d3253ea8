using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Abi;

/// <summary>Turns vector JSON into the value shapes the ABI encoder takes, and renders decoded values for comparison.</summary>
internal static class AbiValueConversion
{
    /// <summary>ethers' "verbose" form: {type, value} with number/hexstring/boolean/address/string/object/array.</summary>
    public static object? FromVerbose(JsonElement verbose)
    {
        var value = verbose.GetProperty("value");
        return verbose.GetProperty("type").GetString() switch
        {
            "number" => BigInteger.Parse(value.GetString()!, CultureInfo.InvariantCulture),
            "hexstring" => Hex.Decode(value.GetString()!),
            "boolean" => value.GetBoolean(),
            "address" => Address.Parse(value.GetString()!),
            "string" => value.GetString(),
            "object" or "array" => value.EnumerateArray().Select(FromVerbose).ToArray(),
            var other => throw new FormatException("unknown verbose type " + other),
        };
    }

    /// <summary>Spec-style arguments: numbers as JSON numbers or decimal/hex strings, bytes as 0x-hex or text.</summary>
    public static object? FromTyped(AbiType type, JsonElement value) => type.Kind switch
    {
        AbiKind.UInt or AbiKind.Int => value.ValueKind == JsonValueKind.Number
            ? BigInteger.Parse(value.GetRawText(), CultureInfo.InvariantCulture)
            : value.GetString()!.StartsWith('-') ? BigInteger.Parse(value.GetString()!, CultureInfo.InvariantCulture) : UnsignedBigEndian.ParseQuantity(value.GetString()!),
        AbiKind.Address => Address.Parse(value.GetString()!),
        AbiKind.Bool => value.GetBoolean(),
        AbiKind.String => value.GetString(),
        AbiKind.Bytes or AbiKind.FixedBytes => value.GetString()!.StartsWith("0x", StringComparison.Ordinal)
            ? Hex.Decode(value.GetString()!)
            : Encoding.UTF8.GetBytes(value.GetString()!),
        AbiKind.Array or AbiKind.FixedArray => value.EnumerateArray().Select(v => FromTyped(type.Element!, v)).ToArray(),
        AbiKind.Tuple => value.EnumerateArray().Select((v, i) => FromTyped(type.Components[i], v)).ToArray(),
        _ => throw new FormatException(type.ToString()),
    };

    /// <summary>A canonical text rendering so decoded values compare by content.</summary>
    public static string Render(object? value) => value switch
    {
        null => "null",
        byte[] bytes => Hex.Encode(bytes),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        Address a => a.ToLowerHex(),
        bool flag => flag ? "true" : "false",
        string text => JsonSerializer.Serialize(text),
        object?[] items => "[" + string.Join(",", items.Select(Render)) + "]",
        Hash32 hash => hash.ToString(),
        _ => value.ToString() ?? string.Empty,
    };
}
