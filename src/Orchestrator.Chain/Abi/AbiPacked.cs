using System.Text;

namespace Orchestrator.Chain.Abi;

/// <summary>
/// Solidity's non-standard packed mode (<c>abi.encodePacked</c>) and the in-place encoding used to
/// hash indexed event parameters. Both are ambiguous by design: use them only for hashing.
/// </summary>
public static class AbiPacked
{
    /// <summary>abi.encodePacked: values shorter than 32 bytes unpadded, dynamic values without length, array elements padded.</summary>
    public static byte[] Encode(IReadOnlyList<AbiType> types, IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(values);
        if (types.Count != values.Count)
        {
            throw new ArgumentException($"{types.Count} types but {values.Count} values", nameof(values));
        }

        var output = new MemoryStream();
        for (var i = 0; i < types.Count; i++)
        {
            var type = types[i];
            var value = values[i];
            switch (type.Kind)
            {
                case AbiKind.UInt or AbiKind.Int:
                    output.Write(AbiWord.FromInteger(AbiValues.ToBigInteger(value, type), type).AsSpan(32 - (type.Size / 8)));
                    break;
                case AbiKind.Address:
                    output.Write(AbiValues.ToAddress(value).Bytes);
                    break;
                case AbiKind.Bool:
                    output.WriteByte(AbiValues.ToBool(value) ? (byte)1 : (byte)0);
                    break;
                case AbiKind.FixedBytes or AbiKind.Bytes:
                    output.Write(AbiValues.ToBytes(value, type));
                    break;
                case AbiKind.String:
                    output.Write(Encoding.UTF8.GetBytes((string)value!));
                    break;
                case AbiKind.Array or AbiKind.FixedArray when type.Element!.Kind is not (AbiKind.Array or AbiKind.FixedArray or AbiKind.Tuple):
                    foreach (var element in AbiValues.ToList(value, type))
                    {
                        output.Write(EncodeInPlace(type.Element, element));
                    }

                    break;
                default:
                    throw new NotSupportedException($"abi.encodePacked does not support {type}");
            }
        }

        return output.ToArray();
    }

    /// <summary>Padded in-place encoding (no lengths, no offsets) of one value, as hashed for indexed event topics.</summary>
    public static byte[] EncodeInPlace(AbiType type, object? value)
    {
        ArgumentNullException.ThrowIfNull(type);
        var output = new MemoryStream();
        Write(output, type, value);
        return output.ToArray();
    }

    private static void Write(MemoryStream output, AbiType type, object? value)
    {
        switch (type.Kind)
        {
            case AbiKind.String or AbiKind.Bytes:
                var bytes = value is string text ? Encoding.UTF8.GetBytes(text) : AbiValues.ToBytes(value, type);
                output.Write(bytes);
                output.Write(new byte[(32 - (bytes.Length % 32)) % 32]);
                break;
            case AbiKind.Array or AbiKind.FixedArray:
                foreach (var element in AbiValues.ToList(value, type))
                {
                    Write(output, type.Element!, element);
                }

                break;
            case AbiKind.Tuple:
                var fields = AbiValues.ToList(value, type);
                for (var i = 0; i < type.Components.Count; i++)
                {
                    Write(output, type.Components[i], fields[i]);
                }

                break;
            default:
                output.Write(AbiEncoder.Encode(type, value));
                break;
        }
    }

}
