using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Bus;

/// <summary>
/// JSON forms of the domain's value types on the bus: hashes and addresses as 0x-hex (addresses
/// checksummed), big integers as decimal strings (wei amounts overflow JSON numbers).
/// </summary>
public static class BusJson
{
    /// <summary>Adds the converters to MassTransit's serializer options.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Add(new Hash32Converter());
        options.Converters.Add(new AddressConverter());
        options.Converters.Add(new BigIntegerConverter());
        return options;
    }

    private sealed class Hash32Converter : JsonConverter<Hash32>
    {
        public override Hash32 Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => Hash32.TryParse(reader.GetString(), out var value, out var error) ? value : throw new JsonException("a 32-byte hash: " + error);

        public override void Write(Utf8JsonWriter writer, Hash32 value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }

    private sealed class AddressConverter : JsonConverter<Address>
    {
        public override Address Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => Address.TryParse(reader.GetString(), out var value, out var error) ? value : throw new JsonException("an address: " + error);

        public override void Write(Utf8JsonWriter writer, Address value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToChecksumString());
    }

    private sealed class BigIntegerConverter : JsonConverter<BigInteger>
    {
        public override BigInteger Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.TokenType == JsonTokenType.Number ? Encoding(ref reader) : reader.GetString();
            return BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new JsonException($"a decimal integer, got '{text}'");
        }

        public override void Write(Utf8JsonWriter writer, BigInteger value, JsonSerializerOptions options)
            => writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));

        private static string Encoding(ref Utf8JsonReader reader) => System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
    }
}
