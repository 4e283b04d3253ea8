using System.Text;
using System.Text.Json;

namespace Orchestrator.Attestation.Collateral;

/// <summary>
/// Splits a PCS response body <c>{"tcbInfo":{...},"signature":"hex"}</c> into the exact signed
/// text of the inner object and the signature. The signature covers the bytes as they appear in
/// the body, so the substring is taken from the original bytes, never re-serialised.
/// </summary>
internal static class SignedJson
{
    public static (string SignedText, byte[] Signature) Split(string body, string objectName)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        string? signedText = null;
        byte[]? signature = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException($"PCS response for {objectName} is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == objectName && reader.TokenType == JsonTokenType.StartObject)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    var end = (int)reader.BytesConsumed;
                    signedText = signedText is null ? Encoding.UTF8.GetString(bytes, start, end - start) : throw new FormatException($"duplicate '{objectName}'");
                }
                else if (name == "signature" && reader.TokenType == JsonTokenType.String)
                {
                    signature = signature is null ? Convert.FromHexString(reader.GetString()!) : throw new FormatException("duplicate 'signature'");
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"PCS response for {objectName} is not valid JSON: {ex.Message}", ex);
        }

        if (signedText is null || signature is null)
        {
            throw new FormatException($"PCS response lacks '{objectName}' or 'signature'");
        }

        return (signedText, signature);
    }
}
