using System.Buffers;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Serialization;

/// <summary>
/// The wire form of a fixed-size byte value (<see cref="Hash32"/>, <see cref="Address"/>), byte for byte what this project
/// first wrote through a surrogate struct holding a byte array (field 0): grain state stored then reads the same. The
/// surrogate cost an array per value written or copied, and each array went through the serializer's reference tracking
/// (an identity hash and a dictionary entry); on the task path those were a tenth of the silo's CPU. Here the bytes go
/// straight from the value to the buffer, and the array's reference number is still taken (never tracked: no value's
/// bytes are shared), so references later in the same payload keep their numbers.
/// </summary>
internal static class FixedBytesWire
{
    public static void Write<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Type fieldType, scoped ReadOnlySpan<byte> bytes)
        where TBufferWriter : IBufferWriter<byte>
    {
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteStartObject(fieldIdDelta, expectedType, fieldType);
        ReferenceCodec.MarkValueField(writer.Session); // the surrogate's array
        writer.WriteFieldHeaderExpected(0, WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
        writer.WriteEndObject();
    }

    /// <summary>Reads the value's bytes into <paramref name="destination"/>; false when the payload held none (a null array).</summary>
    public static bool Read<TInput>(ref Reader<TInput> reader, Field field, scoped Span<byte> destination)
    {
        field.EnsureWireTypeTagDelimited();
        ReferenceCodec.MarkValueField(reader.Session);
        var found = false;
        uint id = 0;
        while (true)
        {
            var header = reader.ReadFieldHeader();
            if (header.IsEndBaseOrEndObject)
            {
                return found;
            }

            id += header.FieldIdDelta;
            if (id != 0)
            {
                reader.ConsumeUnknownField(header);
            }
            else if (header.WireType == WireType.LengthPrefixed && reader.ReadVarUInt32() is var length)
            {
                if (length != destination.Length)
                {
                    throw new ArgumentException($"a {destination.Length}-byte value was expected on the wire, got {length} bytes");
                }

                reader.ReadBytes(destination);
                ReferenceCodec.MarkValueField(reader.Session); // the writer's array
                found = true;
            }
            else if (ByteArrayCodec.ReadValue(ref reader, header) is { } bytes)
            {
                bytes.CopyTo(destination); // a null or a back-reference, as a general byte-array reader would see it
                found = true;
            }
        }
    }
}

/// <summary>Writes and reads <see cref="Hash32"/> (32 bytes).</summary>
[RegisterSerializer]
public sealed class Hash32Codec : IFieldCodec<Hash32>
{
    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Hash32 value)
        where TBufferWriter : IBufferWriter<byte>
    {
        Span<byte> bytes = stackalloc byte[32];
        value.CopyTo(bytes);
        FixedBytesWire.Write(ref writer, fieldIdDelta, expectedType, typeof(Hash32), bytes);
    }

    /// <inheritdoc />
    public Hash32 ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        Span<byte> bytes = stackalloc byte[32];
        return FixedBytesWire.Read(ref reader, field, bytes) ? new Hash32(bytes) : default;
    }
}

/// <summary>Writes and reads <see cref="Address"/> (20 bytes).</summary>
[RegisterSerializer]
public sealed class AddressCodec : IFieldCodec<Address>
{
    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Address value)
        where TBufferWriter : IBufferWriter<byte>
        => FixedBytesWire.Write(ref writer, fieldIdDelta, expectedType, typeof(Address), value.Bytes);

    /// <inheritdoc />
    public Address ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        Span<byte> bytes = stackalloc byte[20];
        return FixedBytesWire.Read(ref reader, field, bytes) ? new Address(bytes) : default;
    }
}

/// <summary><see cref="Hash32"/> is an immutable value: a copy is the value itself.</summary>
[RegisterCopier]
public sealed class Hash32Copier : ShallowCopier<Hash32>;

/// <summary><see cref="Address"/> never exposes its bytes for writing: a copy is the value itself.</summary>
[RegisterCopier]
public sealed class AddressCopier : ShallowCopier<Address>;
