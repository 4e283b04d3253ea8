using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Attestation.Collateral;

/// <summary>Strict field readers for Intel's collateral JSON; any deviation is malformed collateral.</summary>
internal static class JsonFields
{
    public static JsonElement Required(JsonElement obj, string name, string where) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value)
            ? value
            : throw Malformed($"{where} lacks '{name}'");

    public static string String(JsonElement obj, string name, string where)
    {
        var value = Required(obj, name, where);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Malformed($"{where}.{name} is not a string");
    }

    public static int Int(JsonElement obj, string name, string where)
    {
        var value = Required(obj, name, where);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) && i >= 0
            ? i
            : throw Malformed($"{where}.{name} is not a non-negative integer");
    }

    public static byte[] Hex(JsonElement obj, string name, string where, int length)
    {
        var text = String(obj, name, where);
        try
        {
            var bytes = Convert.FromHexString(text);
            return bytes.Length == length ? bytes : throw Malformed($"{where}.{name} must be {length} bytes, got {bytes.Length}");
        }
        catch (FormatException ex)
        {
            throw new AttestationException(VerificationFailureReason.MalformedCollateral, $"{where}.{name} is not hex", ex);
        }
    }

    public static DateTimeOffset Date(JsonElement obj, string name, string where)
    {
        var text = String(obj, name, where);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? date
            : throw Malformed($"{where}.{name} is not a date: '{text}'");
    }

    public static TcbStatus Status(JsonElement obj, string name, string where)
    {
        var text = String(obj, name, where);
        return TcbStatusText.TryParse(text, out var status) ? status : throw Malformed($"{where}.{name} '{text}' is not a known TCB status");
    }

    public static IReadOnlyList<string> AdvisoryIds(JsonElement obj, string where)
    {
        if (!obj.TryGetProperty("advisoryIDs", out var ids))
        {
            return [];
        }

        if (ids.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{where}.advisoryIDs is not an array");
        }

        return [.. ids.EnumerateArray().Select(id => id.ValueKind == JsonValueKind.String ? id.GetString()! : throw Malformed($"{where}.advisoryIDs holds a non-string"))];
    }

    public static JsonElement.ArrayEnumerator Array(JsonElement obj, string name, string where)
    {
        var value = Required(obj, name, where);
        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw Malformed($"{where}.{name} is not an array");
    }

    public static JsonDocument Parse(string text, string what)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new AttestationException(VerificationFailureReason.MalformedCollateral, $"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    public static AttestationException Malformed(string message) => new(VerificationFailureReason.MalformedCollateral, message);
}
