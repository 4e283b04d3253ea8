using Orleans.Serialization;
using Orleans.Storage;

namespace Orchestrator.Host.Hosting;

/// <summary>
/// Grain state in Orleans' binary format, byte for byte what <see cref="OrleansGrainStorageSerializer"/> writes, but
/// written through Orleans' pooled buffer and copied once into an array of the exact size. Orleans' own serializer
/// grows an <c>ArrayBufferWriter</c> from 256 bytes by doubling: a task's state of a few KiB cost four or five arrays
/// per write, the last of them up to twice the state and kept by the store, about a sixth of what a trust-1
/// lifecycle allocated. Every grain write goes through here, so the embedded store and the durable ones both gain.
/// </summary>
public sealed class StateSerializer(Serializer serializer) : IGrainStorageSerializer
{
    /// <inheritdoc />
    public BinaryData Serialize<T>(T? input) => new(serializer.SerializeToArray(input));

    /// <inheritdoc />
    public T Deserialize<T>(BinaryData input) => serializer.Deserialize<T>(input.ToMemory())!;

    /// <summary>
    /// The array behind a payload this serializer wrote, without a copy; a copy only for payloads from elsewhere
    /// (a <see cref="BinaryData"/> over part of an array or over other memory).
    /// </summary>
    public static byte[] Bytes(BinaryData payload)
        => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload.ToMemory(), out var segment)
           && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();
}
