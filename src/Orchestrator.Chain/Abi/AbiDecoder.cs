using System.Text;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Abi;

/// <summary>
/// Strict Solidity ABI decoding. Offsets and lengths must stay inside the data, padding must be
/// zero, integers must fit their width, bools must be 0 or 1 and addresses must have 12 zero bytes.
/// Values come back in the shapes documented on <see cref="AbiType"/>.
/// </summary>
public static class AbiDecoder
{
    /// <summary>Decodes a parameter list (call data after the selector, return data, log data).</summary>
    public static object?[] Decode(IReadOnlyList<AbiType> types, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(types);
        var bytes = data.ToArray();
        return ReadSequence(bytes, 0, types);
    }

    /// <summary>Decodes one value encoded as a one-element parameter list.</summary>
    public static object? Decode(AbiType type, ReadOnlySpan<byte> data) => Decode([type], data)[0];

    private static object?[] ReadSequence(byte[] data, int start, IReadOnlyList<AbiType> types)
    {
        var values = new object?[types.Count];
        var head = start;
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i].IsDynamic)
            {
                var offset = ReadLength(data, head, "offset");
                if (offset > (ulong)(data.Length - start))
                {
                    throw new AbiException($"offset {offset} at byte {head} points outside the data");
                }

                values[i] = ReadValue(data, start + (int)offset, types[i]);
            }
            else
            {
                values[i] = ReadValue(data, head, types[i]);
            }

            head += types[i].HeadSize;
        }

        return values;
    }

    private static object? ReadValue(byte[] data, int position, AbiType type)
    {
        switch (type.Kind)
        {
            case AbiKind.UInt:
            case AbiKind.Int:
                return AbiWord.ToInteger(Word(data, position), type);
            case AbiKind.Address:
                var word = Word(data, position);
                if (word[..12].IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new AbiException($"address at byte {position} has non-zero high bytes");
                }

                return new Address(word[12..]);
            case AbiKind.Bool:
                var value = UnsignedBigEndian.FromBytes(Word(data, position));
                return value <= 1 ? !value.IsZero : throw new AbiException($"bool at byte {position} is {value}, not 0 or 1");
            case AbiKind.FixedBytes:
                var fixedWord = Word(data, position);
                if (fixedWord[type.Size..].IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new AbiException($"{type} at byte {position} has non-zero padding");
                }

                return fixedWord[..type.Size].ToArray();
            case AbiKind.Bytes:
                return ReadDynamicBytes(data, position, type);
            case AbiKind.String:
                try
                {
                    return new UTF8Encoding(false, true).GetString(ReadDynamicBytes(data, position, type));
                }
                catch (DecoderFallbackException e)
                {
                    throw new AbiException($"string at byte {position} is not valid UTF-8", e);
                }

            case AbiKind.FixedArray:
                return ReadSequence(data, position, Enumerable.Repeat(type.Element!, type.Size).ToList());
            case AbiKind.Array:
                var count = ReadLength(data, position, "array length");

                // Each element takes at least one head slot, which bounds the count by the data left.
                if (count > (ulong)(data.Length - position - 32) / (ulong)type.Element!.HeadSize)
                {
                    throw new AbiException($"array length {count} at byte {position} exceeds the data");
                }

                return ReadSequence(data, position + 32, Enumerable.Repeat(type.Element, (int)count).ToList());
            case AbiKind.Tuple:
                return ReadSequence(data, position, type.Components);
            default:
                throw new AbiException($"unknown ABI kind {type.Kind}");
        }
    }

    private static byte[] ReadDynamicBytes(byte[] data, int position, AbiType type)
    {
        var length = ReadLength(data, position, $"{type} length");
        var start = position + 32;
        var padded = (length + 31) / 32 * 32;
        if (padded > (ulong)(data.Length - start))
        {
            throw new AbiException($"{type} of {length} bytes at byte {position} runs past the end of the data");
        }

        var bytes = data.AsSpan(start, (int)length);
        if (data.AsSpan(start + (int)length, (int)(padded - length)).IndexOfAnyExcept((byte)0) >= 0)
        {
            throw new AbiException($"{type} at byte {position} has non-zero padding");
        }

        return bytes.ToArray();
    }

    private static ulong ReadLength(byte[] data, int position, string what)
    {
        var word = Word(data, position);
        if (word[..24].IndexOfAnyExcept((byte)0) >= 0 || word[24] >= 0x80)
        {
            throw new AbiException($"{what} at byte {position} is too large");
        }

        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(word[24..]);
    }

    private static ReadOnlySpan<byte> Word(byte[] data, int position)
    {
        if (position < 0 || position > data.Length - 32)
        {
            throw new AbiException($"the data ends before the word at byte {position}");
        }

        return data.AsSpan(position, 32);
    }
}
