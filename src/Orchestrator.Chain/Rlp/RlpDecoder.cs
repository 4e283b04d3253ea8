namespace Orchestrator.Chain.Rlp;

/// <summary>
/// Strict RLP decoding: every value must use its one canonical encoding, lengths must match the
/// input exactly, and nothing may follow the top-level item. Each rejection names its reason and offset.
/// </summary>
public static class RlpDecoder
{
    // Deep nesting is never legitimate in what we decode; the limit keeps recursion bounded.
    private const int MaxDepth = 64;

    /// <summary>Decodes exactly one item that spans all of <paramref name="input"/>.</summary>
    public static RlpItem Decode(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            throw new RlpException("input is empty: RLP needs at least one byte");
        }

        var position = 0;
        var item = ReadItem(input, ref position, 0);
        if (position != input.Length)
        {
            throw new RlpException($"{input.Length - position} trailing byte(s) after the item at offset {position}");
        }

        return item;
    }

    /// <summary>Decodes, returning the reason instead of throwing.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> input, out RlpItem? item, out string error)
    {
        try
        {
            item = Decode(input);
            error = string.Empty;
            return true;
        }
        catch (RlpException e)
        {
            item = null;
            error = e.Message;
            return false;
        }
    }

    private static RlpItem ReadItem(ReadOnlySpan<byte> input, ref int position, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new RlpException($"nesting deeper than {MaxDepth} lists");
        }

        var start = position;
        var prefix = input[position++];
        if (prefix < 0x80)
        {
            return new RlpString([prefix]);
        }

        if (prefix <= 0xbf)
        {
            var length = ReadLength(input, ref position, prefix, 0x80, "string");
            var bytes = input.Slice(position, length).ToArray();
            position += length;
            if (length == 1 && bytes[0] < 0x80)
            {
                throw new RlpException($"byte 0x{bytes[0]:x2} at offset {start} is wrapped in a string header; a single byte below 0x80 encodes as itself");
            }

            return new RlpString(bytes);
        }

        var payloadLength = ReadLength(input, ref position, prefix, 0xc0, "list");
        var end = position + payloadLength;
        var items = new List<RlpItem>();
        var payload = input[..end];
        while (position < end)
        {
            // Children are read against the list's end so that a child overrunning its parent fails.
            items.Add(ReadItem(payload, ref position, depth + 1));
        }

        return new RlpList(items);
    }

    // Reads the header after its first byte and returns the payload length, checked against the input.
    private static int ReadLength(ReadOnlySpan<byte> input, ref int position, byte prefix, byte offset, string kind)
    {
        var headerStart = position - 1;
        var code = prefix - offset;
        long length;
        if (code <= 55)
        {
            length = code;
        }
        else
        {
            var lengthOfLength = code - 55;
            if (position + lengthOfLength > input.Length)
            {
                throw new RlpException($"{kind} header at offset {headerStart} needs {lengthOfLength} length byte(s) but the input ends");
            }

            var lengthBytes = input.Slice(position, lengthOfLength);
            if (lengthBytes[0] == 0)
            {
                throw new RlpException($"{kind} length at offset {headerStart} has a leading zero byte");
            }

            if (lengthOfLength > 4)
            {
                throw new RlpException($"{kind} length at offset {headerStart} uses {lengthOfLength} bytes; lengths above 2^32 cannot be in memory");
            }

            length = 0;
            foreach (var b in lengthBytes)
            {
                length = (length << 8) | b;
            }

            position += lengthOfLength;
            if (length < 56)
            {
                throw new RlpException($"{kind} length {length} at offset {headerStart} uses the long form; lengths below 56 must use the short form");
            }
        }

        if (length > input.Length - position)
        {
            throw new RlpException($"{kind} at offset {headerStart} declares {length} byte(s) but only {input.Length - position} remain");
        }

        return (int)length;
    }
}
