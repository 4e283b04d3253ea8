using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Eip712;

/// <summary>
/// EIP-712 hashing: encodeType (the primary type, then every referenced struct type sorted by
/// name), typeHash, encodeData (typeHash followed by one 32-byte word per member: atomic values
/// ABI-encoded, bytes and string hashed, arrays hashed over their elements' words, structs by
/// hashStruct), the domain separator and the signing digest keccak256(0x1901 ‖ domain ‖ hashStruct).
/// </summary>
public static class TypedDataEncoder
{
    // EIP-712 fixes the domain members and their order; a domain uses the subset it has.
    private static readonly TypedDataField[] CanonicalDomainFields =
    [
        new("name", "string"),
        new("version", "string"),
        new("chainId", "uint256"),
        new("verifyingContract", "address"),
        new("salt", "bytes32"),
    ];

    /// <summary>The EIP712Domain members for a domain object: the canonical members it has, in canonical order.</summary>
    public static IReadOnlyList<TypedDataField> DomainFields(JsonElement domain)
    {
        var unknown = domain.EnumerateObject().Select(p => p.Name).Except(CanonicalDomainFields.Select(f => f.Name)).ToList();
        if (unknown.Count > 0)
        {
            throw new FormatException($"unknown domain member(s) {string.Join(", ", unknown)}; declare EIP712Domain in types to use them");
        }

        return CanonicalDomainFields.Where(f => domain.TryGetProperty(f.Name, out var v) && v.ValueKind != JsonValueKind.Null).ToList();
    }

    /// <summary>E.g. <c>Mail(Person from,Person to,string contents)Person(string name,address wallet)</c>.</summary>
    public static string EncodeType(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string typeName)
    {
        ArgumentNullException.ThrowIfNull(types);
        var dependencies = new SortedSet<string>(StringComparer.Ordinal);
        CollectDependencies(types, typeName, dependencies);
        dependencies.Remove(typeName);
        var text = new StringBuilder();
        foreach (var name in new[] { typeName }.Concat(dependencies))
        {
            text.Append(name).Append('(').AppendJoin(',', types[name].Select(f => $"{f.Type} {f.Name}")).Append(')');
        }

        return text.ToString();
    }

    /// <summary>keccak256(encodeType).</summary>
    public static Hash32 TypeHash(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string typeName)
        => new(Keccak256.Hash(Encoding.UTF8.GetBytes(EncodeType(types, typeName))));

    /// <summary>typeHash ‖ the 32-byte encoding of each member, in declaration order.</summary>
    public static byte[] EncodeData(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string typeName, JsonElement data)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (!types.TryGetValue(typeName, out var fields))
        {
            throw new FormatException($"type {typeName} is not defined");
        }

        if (data.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"a {typeName} value must be a JSON object");
        }

        var output = new MemoryStream();
        output.Write(TypeHash(types, typeName).ToArray());
        foreach (var field in fields)
        {
            if (!data.TryGetProperty(field.Name, out var value))
            {
                throw new FormatException($"{typeName}.{field.Name} is missing");
            }

            output.Write(EncodeField(types, field.Type, value, $"{typeName}.{field.Name}"));
        }

        return output.ToArray();
    }

    /// <summary>keccak256(encodeData).</summary>
    public static Hash32 HashStruct(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string typeName, JsonElement data)
        => new(Keccak256.Hash(EncodeData(types, typeName, data)));

    /// <summary>hashStruct of the domain, with EIP712Domain taken from <paramref name="types"/> when declared there.</summary>
    public static Hash32 DomainSeparator(JsonElement domain, IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>>? types = null)
    {
        var withDomain = new Dictionary<string, IReadOnlyList<TypedDataField>>(StringComparer.Ordinal);
        if (types is not null)
        {
            foreach (var (name, fields) in types)
            {
                withDomain[name] = fields;
            }
        }

        if (!withDomain.ContainsKey(TypedData.DomainTypeName))
        {
            withDomain[TypedData.DomainTypeName] = DomainFields(domain);
        }

        return HashStruct(withDomain, TypedData.DomainTypeName, domain);
    }

    /// <summary>keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message)).</summary>
    public static Hash32 Digest(Hash32 domainSeparator, Hash32 messageHash)
        => new(Keccak256.HashConcat([0x19, 0x01], domainSeparator.ToArray(), messageHash.ToArray()));

    /// <summary>The digest a wallet signs for <paramref name="typedData"/>.</summary>
    public static Hash32 Digest(TypedData typedData)
    {
        ArgumentNullException.ThrowIfNull(typedData);
        return Digest(
            DomainSeparator(typedData.Domain, typedData.Types),
            HashStruct(typedData.Types, typedData.PrimaryType, typedData.Message));
    }

    private static void CollectDependencies(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string typeName, SortedSet<string> found)
    {
        if (!types.TryGetValue(typeName, out var fields))
        {
            throw new FormatException($"type {typeName} is not defined");
        }

        if (!found.Add(typeName))
        {
            return;
        }

        foreach (var field in fields)
        {
            var baseType = BaseTypeName(field.Type);
            if (types.ContainsKey(baseType))
            {
                CollectDependencies(types, baseType, found);
            }
        }
    }

    private static string BaseTypeName(string type)
    {
        var bracket = type.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? type : type[..bracket];
    }

    private static byte[] EncodeField(IReadOnlyDictionary<string, IReadOnlyList<TypedDataField>> types, string type, JsonElement value, string path)
    {
        if (type.EndsWith(']'))
        {
            var open = type.LastIndexOf('[');
            var elementType = type[..open];
            var lengthText = type[(open + 1)..^1];
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"{path} must be a JSON array");
            }

            if (lengthText.Length > 0 && value.GetArrayLength() != int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture))
            {
                throw new FormatException($"{path} must have {lengthText} elements, has {value.GetArrayLength()}");
            }

            var words = new MemoryStream();
            var index = 0;
            foreach (var element in value.EnumerateArray())
            {
                words.Write(EncodeField(types, elementType, element, $"{path}[{index++}]"));
            }

            return Keccak256.Hash(words.ToArray());
        }

        if (types.ContainsKey(type))
        {
            return HashStruct(types, type, value).ToArray();
        }

        var abiType = AbiType.Parse(type);
        try
        {
            return abiType.Kind switch
            {
                AbiKind.String => Keccak256.Hash(Encoding.UTF8.GetBytes(value.GetString() ?? throw new FormatException($"{path} must be a string"))),
                AbiKind.Bytes => Keccak256.Hash(HexValue(value, path)),
                AbiKind.FixedBytes => AbiEncoder.Encode(abiType, HexValue(value, path)),
                AbiKind.Bool => AbiEncoder.Encode(abiType, value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new FormatException($"{path} must be true or false"),
                }),
                AbiKind.Address => AbiEncoder.Encode(abiType, Address.Parse(value.GetString() ?? throw new FormatException($"{path} must be an address"))),
                AbiKind.UInt or AbiKind.Int => AbiEncoder.Encode(abiType, IntegerValue(value, path)),
                _ => throw new FormatException($"{path} has type {type}, which EIP-712 does not define"),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    private static byte[] HexValue(JsonElement value, string path)
        => value.ValueKind == JsonValueKind.String && Hex.TryDecode(value.GetString(), out var bytes, out _)
            ? bytes
            : throw new FormatException($"{path} must be 0x-hex bytes");

    private static BigInteger IntegerValue(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return BigInteger.Parse(value.GetRawText(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new FormatException($"{path} must be a number");
        return text.StartsWith('-')
            ? -UnsignedBigEndian.ParseQuantity(text[1..])
            : UnsignedBigEndian.ParseQuantity(text);
    }
}
