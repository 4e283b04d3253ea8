using System.Text.Json;

namespace Orchestrator.Chain.Eip712;

/// <summary>
/// An EIP-712 document as wallets exchange it (eth_signTypedData_v4): struct types, the primary
/// type, the domain and the message. Values stay JSON so numbers of any size and hex text survive.
/// </summary>
public sealed class TypedData
{
    /// <summary>The name of the domain struct type.</summary>
    public const string DomainTypeName = "EIP712Domain";

    /// <summary>Creates a document from its parts.</summary>
    public TypedData(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string primaryType, JsonElement domain, JsonElement message)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentException.ThrowIfNullOrEmpty(primaryType);
        Types = types;
        PrimaryType = primaryType;
        Domain = domain.Clone();
        Message = message.Clone();
    }

    /// <summary>Struct types by name; may or may not contain <see cref="DomainTypeName"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> Types { get; }

    /// <summary>The type of <see cref="Message"/>.</summary>
    public string PrimaryType { get; }

    /// <summary>The domain object (name, version, chainId, verifyingContract, salt; any subset).</summary>
    public JsonElement Domain { get; }

    /// <summary>The message object.</summary>
    public JsonElement Message { get; }

    /// <summary>Parses {"types", "primaryType", "domain", "message"}.</summary>
    public static TypedData Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new TypedData(
            ParseTypes(root.GetProperty("types")),
            root.GetProperty("primaryType").GetString() ?? throw new FormatException("primaryType must be a string"),
            root.TryGetProperty("domain", out var domain) ? domain : EmptyObject(),
            root.GetProperty("message"));
    }

    /// <summary>Reads a "types" object: {TypeName: [{name, type}, …], …}.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> ParseTypes(JsonElement types)
    {
        var result = new Dictionary<string, IReadOnlyList<TypedDataField>>(StringComparer.Ordinal);
        foreach (var type in types.EnumerateObject())
        {
            result[type.Name] = type.Value.EnumerateArray()
                .Select(f => new TypedDataField(
                    f.GetProperty("name").GetString() ?? throw new FormatException($"a field of {type.Name} has no name"),
                    f.GetProperty("type").GetString() ?? throw new FormatException($"a field of {type.Name} has no type")))
                .ToList();
        }

        return result;
    }

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}
