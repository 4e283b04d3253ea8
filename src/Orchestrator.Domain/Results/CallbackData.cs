using System.Text.Json;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>
/// The callback data of a task (PoCo's "callback-data"): bytes an app writes as 0x-hex in its root
/// <c>computed.json</c>, as iExec apps do, for the deal's callback contract. When the deal names a
/// callback, the task's result digest is keccak256 of these bytes (not the archive's SHA-256), the
/// winners reveal that digest, and the hub checks it again before calling <c>receiveResult</c>.
/// </summary>
public static class CallbackData
{
    /// <summary>The computed.json field.</summary>
    public const string Field = "callback-data";

    /// <summary>Most bytes of callback data a task may carry (the hub's MAX_CALLBACK_DATA).</summary>
    public const int MaxBytes = 4_096;

    /// <summary>
    /// The callback data a computed.json declares; null when it declares none (no field, JSON null or an
    /// empty string). "0x" alone is zero bytes of data.
    /// </summary>
    /// <exception cref="InvalidDataException">Not JSON, not a string, not hex, or longer than <see cref="MaxBytes"/>: the message names the rule.</exception>
    public static byte[]? FromComputedJson(Stream computedJson)
    {
        ArgumentNullException.ThrowIfNull(computedJson);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(computedJson);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{CanonicalTar.ComputedFile} is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(Field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{CanonicalTar.ComputedFile}: {Field} must be a 0x-hex string, got a JSON {value.ValueKind.ToString().ToLowerInvariant()}");
            }

            var text = value.GetString();
            return string.IsNullOrWhiteSpace(text) ? null : Parse(text);
        }
    }

    /// <summary>Parses 0x-hex callback data.</summary>
    /// <exception cref="InvalidDataException">Not 0x-hex, or longer than <see cref="MaxBytes"/>: the message names the rule.</exception>
    public static byte[] Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{Field} must be 0x-hex (e.g. \"0x1234\"): it has no 0x prefix");
        }

        if (!Hex.TryDecode(trimmed, out var bytes, out var error))
        {
            throw new InvalidDataException($"{Field} must be 0x-hex (e.g. \"0x1234\"): {error}");
        }

        return bytes.Length <= MaxBytes
            ? bytes
            : throw new InvalidDataException($"{Field} is {bytes.Length} bytes; a task's callback data is at most {MaxBytes} bytes");
    }

    /// <summary>keccak256 of the callback data: the result digest of a task whose deal names a callback.</summary>
    public static Hash32 Digest(ReadOnlySpan<byte> callbackData) => new(Keccak256.Hash(callbackData));

    /// <summary>
    /// The result digest rule of DESIGN §6: on a deal with a callback, keccak256 of the callback data (which
    /// the app must then write); otherwise <paramref name="archiveDigest"/> (the SHA-256 rule of
    /// <see cref="ArchiveResultDigest"/>), whatever callback data the app wrote (it goes nowhere).
    /// </summary>
    /// <exception cref="InvalidDataException">The deal names a callback and the app wrote no callback data.</exception>
    public static Hash32 ResultDigest(bool dealHasCallback, byte[]? callbackData, Hash32 archiveDigest)
    {
        if (!dealHasCallback)
        {
            return archiveDigest;
        }

        return callbackData is null
            ? throw new InvalidDataException($"the deal names a callback contract, so the app must write {Field} (0x-hex) in its {CanonicalTar.ComputedFile} (rule: a callback deal's result digest is keccak256 of its callback data)")
            : Digest(callbackData);
    }

    /// <summary>
    /// Null when <paramref name="callbackData"/> may go with a revealed <paramref name="resultDigest"/> of a
    /// deal that does (or does not) name a callback; else why not, naming the rule.
    /// </summary>
    public static string? Check(bool dealHasCallback, Hash32 resultDigest, byte[]? callbackData)
    {
        if (!dealHasCallback)
        {
            return callbackData is null or { Length: 0 } ? null : "the deal names no callback contract, so a reveal carries no callback data";
        }

        if (callbackData is null)
        {
            return $"the deal names a callback contract, so a reveal carries the task's {Field} (rule: its keccak256 is the result digest)";
        }

        if (callbackData.Length > MaxBytes)
        {
            return $"{Field} is {callbackData.Length} bytes; a task's callback data is at most {MaxBytes} bytes";
        }

        var digest = Digest(callbackData);
        return digest == resultDigest ? null : $"keccak256 of the callback data is {digest}, not the revealed digest {resultDigest} (rule: a callback deal's result digest is keccak256 of its callback data)";
    }
}
