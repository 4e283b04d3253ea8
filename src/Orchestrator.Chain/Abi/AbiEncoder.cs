using System.Collections;
using System.Numerics;
using System.Text;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Abi;

/// <summary>Standard (non-packed) Solidity ABI encoding: a head of static values and offsets, then the tails.</summary>
public static class AbiEncoder
{
    /// <summary>Encodes a parameter list, as for call data after the selector or for abi.encode.</summary>
    public static byte[] Encode(IReadOnlyList<AbiType> types, IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(values);
        if (types.Count != values.Count)
        {
            throw new ArgumentException($"{types.Count} types but {values.Count} values", nameof(values));
        }

        var output = new MemoryStream();
        WriteSequence(output, types, values);
        return output.ToArray();
    }

    /// <summary>Encodes one value as a one-element parameter list (abi.encode(value)).</summary>
    public static byte[] Encode(AbiType type, object? value) => Encode([type], [value]);

    private static void WriteSequence(MemoryStream output, IReadOnlyList<AbiType> types, IReadOnlyList<object?> values)
    {
        var headSize = types.Sum(t => t.HeadSize);
        var tails = new MemoryStream();
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i].IsDynamic)
            {
                output.Write(Word(headSize + tails.Length));
                WriteValue(tails, types[i], values[i]);
            }
            else
            {
                WriteValue(output, types[i], values[i]);
            }
        }

        tails.Position = 0;
        tails.CopyTo(output);
    }

    private static void WriteValue(MemoryStream output, AbiType type, object? value)
    {
        switch (type.Kind)
        {
            case AbiKind.UInt:
            case AbiKind.Int:
                output.Write(AbiWord.FromInteger(AbiValues.ToBigInteger(value, type), type));
                break;
            case AbiKind.Address:
                output.Write(new byte[12]);
                output.Write(AbiValues.ToAddress(value).Bytes);
                break;
            case AbiKind.Bool:
                output.Write(Word(AbiValues.ToBool(value) ? 1 : 0));
                break;
            case AbiKind.FixedBytes:
                var fixedBytes = AbiValues.ToBytes(value, type);
                if (fixedBytes.Length != type.Size)
                {
                    throw new ArgumentException($"{type} needs exactly {type.Size} bytes, got {fixedBytes.Length}");
                }

                WritePadded(output, fixedBytes);
                break;
            case AbiKind.Bytes:
                WriteDynamicBytes(output, AbiValues.ToBytes(value, type));
                break;
            case AbiKind.String:
                WriteDynamicBytes(output, Encoding.UTF8.GetBytes(value as string ?? throw new ArgumentException($"string needs a string, got {value?.GetType().Name ?? "null"}")));
                break;
            case AbiKind.FixedArray:
                var fixedItems = AbiValues.ToList(value, type);
                if (fixedItems.Count != type.Size)
                {
                    throw new ArgumentException($"{type} needs exactly {type.Size} elements, got {fixedItems.Count}");
                }

                WriteSequence(output, Enumerable.Repeat(type.Element!, fixedItems.Count).ToList(), fixedItems);
                break;
            case AbiKind.Array:
                var items = AbiValues.ToList(value, type);
                output.Write(Word(items.Count));
                WriteSequence(output, Enumerable.Repeat(type.Element!, items.Count).ToList(), items);
                break;
            case AbiKind.Tuple:
                var fields = AbiValues.ToList(value, type);
                if (fields.Count != type.Components.Count)
                {
                    throw new ArgumentException($"{type} needs {type.Components.Count} fields, got {fields.Count}");
                }

                WriteSequence(output, type.Components, fields);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type.Kind, "unknown ABI kind");
        }
    }

    private static void WriteDynamicBytes(MemoryStream output, byte[] bytes)
    {
        output.Write(Word(bytes.Length));
        WritePadded(output, bytes);
    }

    private static void WritePadded(MemoryStream output, byte[] bytes)
    {
        output.Write(bytes);
        var padding = (32 - (bytes.Length % 32)) % 32;
        output.Write(new byte[padding]);
    }

    private static byte[] Word(long value) => UnsignedBigEndian.ToFixed(value, 32);
}

/// <summary>Conversions from the value shapes callers pass to the canonical ones.</summary>
internal static class AbiValues
{
    public static BigInteger ToBigInteger(object? value, AbiType type) => value switch
    {
        BigInteger b => b,
        int i => i,
        long l => l,
        uint u => u,
        ulong ul => ul,
        short s => s,
        ushort us => us,
        byte b8 => b8,
        sbyte sb => sb,
        string text => UnsignedBigEndian.ParseQuantity(text),
        _ => throw new ArgumentException($"{type} needs an integer, got {value?.GetType().Name ?? "null"}"),
    };

    public static Address ToAddress(object? value) => value switch
    {
        Address a => a,
        string text => Address.Parse(text),
        byte[] { Length: 20 } bytes => new Address(bytes),
        _ => throw new ArgumentException($"address needs an Address, got {value?.GetType().Name ?? "null"}"),
    };

    public static bool ToBool(object? value)
        => value as bool? ?? throw new ArgumentException($"bool needs a bool, got {value?.GetType().Name ?? "null"}");

    public static byte[] ToBytes(object? value, AbiType type) => value switch
    {
        byte[] bytes => bytes,
        Hash32 hash => hash.ToArray(),
        ReadOnlyMemory<byte> memory => memory.ToArray(),
        string text when text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) => Hex.Decode(text),
        _ => throw new ArgumentException($"{type} needs bytes, got {value?.GetType().Name ?? "null"}"),
    };

    public static List<object?> ToList(object? value, AbiType type) => value switch
    {
        string or null => throw new ArgumentException($"{type} needs a list of values, got {value?.GetType().Name ?? "null"}"),
        IEnumerable enumerable => enumerable.Cast<object?>().ToList(),
        System.Runtime.CompilerServices.ITuple tuple => Enumerable.Range(0, tuple.Length).Select(i => tuple[i]).ToList(),
        _ => throw new ArgumentException($"{type} needs a list of values, got {value.GetType().Name}"),
    };
}

/// <summary>32-byte words for integers, with range checks.</summary>
internal static class AbiWord
{
    public static byte[] FromInteger(BigInteger value, AbiType type)
    {
        var bits = type.Size;
        if (type.Kind == AbiKind.UInt)
        {
            if (value.Sign < 0 || value >= BigInteger.One << bits)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"out of range for {type}");
            }

            return UnsignedBigEndian.ToFixed(value, 32);
        }

        var limit = BigInteger.One << (bits - 1);
        if (value < -limit || value >= limit)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"out of range for {type}");
        }

        // Two's complement over 256 bits: negative values are sign-extended with 0xff bytes.
        return UnsignedBigEndian.ToFixed(value.Sign < 0 ? (BigInteger.One << 256) + value : value, 32);
    }

    public static BigInteger ToInteger(ReadOnlySpan<byte> word, AbiType type)
    {
        var unsigned = UnsignedBigEndian.FromBytes(word);
        if (type.Kind == AbiKind.UInt)
        {
            if (unsigned >= BigInteger.One << type.Size)
            {
                throw new AbiException($"{type} value has bits set above bit {type.Size}");
            }

            return unsigned;
        }

        var signed = unsigned >= BigInteger.One << 255 ? unsigned - (BigInteger.One << 256) : unsigned;
        var limit = BigInteger.One << (type.Size - 1);
        if (signed < -limit || signed >= limit)
        {
            throw new AbiException($"{type} value is not a sign extension of {type.Size} bits");
        }

        return signed;
    }
}
