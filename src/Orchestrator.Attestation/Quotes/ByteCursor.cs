using System.Buffers.Binary;

namespace Orchestrator.Attestation.Quotes;

/// <summary>
/// Reads little-endian fields from a bounded window of a byte array. Every read checks the
/// bound first, so a short or lying length field becomes a <see cref="VerificationFailureReason.TruncatedQuote"/>
/// instead of an index exception.
/// </summary>
internal sealed class ByteCursor
{
    private readonly byte[] _data;
    private readonly int _limit;

    public ByteCursor(byte[] data, int offset, int limit)
    {
        _data = data;
        Position = offset;
        _limit = limit;
    }

    public int Position { get; private set; }

    public int Remaining => _limit - Position;

    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public byte[] ReadBytes(int count, string field) => Take(count, field).ToArray();

    public ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || count > Remaining)
        {
            throw new AttestationException(
                VerificationFailureReason.TruncatedQuote,
                $"quote truncated: {field} needs {count} bytes at offset {Position}, {Remaining} available");
        }

        var span = new ReadOnlySpan<byte>(_data, Position, count);
        Position += count;
        return span;
    }

    /// <summary>Reads a u32 length then checks that many bytes exist, without consuming them.</summary>
    public int ReadLength(string field)
    {
        var length = ReadUInt32(field + " length");
        if (length > (uint)Remaining)
        {
            throw new AttestationException(
                VerificationFailureReason.TruncatedQuote,
                $"quote truncated: {field} declares {length} bytes at offset {Position}, {Remaining} available");
        }

        return (int)length;
    }
}
