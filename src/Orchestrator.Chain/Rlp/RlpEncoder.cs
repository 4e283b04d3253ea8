using System.Buffers;
using System.Numerics;
using Orchestrator.Chain.Numerics;

namespace Orchestrator.Chain.Rlp;

/// <summary>Canonical RLP encoding (Ethereum Yellow Paper, appendix B).</summary>
public static class RlpEncoder
{
    /// <summary>Encodes an item tree.</summary>
    public static byte[] Encode(RlpItem item)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, item);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes a byte string.</summary>
    public static byte[] EncodeString(ReadOnlySpan<byte> bytes) => Encode(RlpItem.String(bytes));

    /// <summary>Encodes an unsigned integer as its minimal big-endian string.</summary>
    public static byte[] EncodeInteger(BigInteger value) => Encode(RlpItem.Integer(value));

    private static void Write(ArrayBufferWriter<byte> output, RlpItem item)
    {
        switch (item)
        {
            case RlpString s:
                // A single byte below 0x80 is its own encoding; anything else gets a header.
                if (s.Bytes.Length == 1 && s.Bytes[0] < 0x80)
                {
                    output.Write(s.Bytes);
                }
                else
                {
                    WriteHeader(output, 0x80, s.Bytes.Length);
                    output.Write(s.Bytes);
                }

                break;
            case RlpList list:
                var payload = new ArrayBufferWriter<byte>();
                foreach (var child in list.Items)
                {
                    Write(payload, child);
                }

                WriteHeader(output, 0xc0, payload.WrittenCount);
                output.Write(payload.WrittenSpan);
                break;
            default:
                throw new ArgumentException("unknown RLP item kind", nameof(item));
        }
    }

    private static void WriteHeader(ArrayBufferWriter<byte> output, byte offset, int length)
    {
        if (length < 56)
        {
            output.Write([(byte)(offset + length)]);
            return;
        }

        var lengthBytes = UnsignedBigEndian.ToBytes(length);
        output.Write([(byte)(offset + 55 + lengthBytes.Length)]);
        output.Write(lengthBytes);
    }
}
