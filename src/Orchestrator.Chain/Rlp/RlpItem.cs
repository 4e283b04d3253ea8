using System.Numerics;
using Orchestrator.Chain.Numerics;

namespace Orchestrator.Chain.Rlp;

/// <summary>A decoded or to-be-encoded RLP value: either a byte string or a list of items.</summary>
public abstract class RlpItem
{
    private protected RlpItem()
    {
    }

    /// <summary>True for a list, false for a byte string.</summary>
    public abstract bool IsList { get; }

    /// <summary>A byte string item.</summary>
    public static RlpString String(ReadOnlySpan<byte> bytes) => new(bytes.ToArray());

    /// <summary>A canonical integer item (minimal big-endian; zero is the empty string).</summary>
    public static RlpString Integer(BigInteger value) => new(UnsignedBigEndian.ToBytes(value));

    /// <summary>A list item.</summary>
    public static RlpList List(params IEnumerable<RlpItem> items) => new([.. items]);

    /// <summary>This item as a string, or an <see cref="RlpException"/> naming <paramref name="what"/>.</summary>
    public RlpString AsString(string what)
        => this as RlpString ?? throw new RlpException($"{what} must be a byte string, not a list");

    /// <summary>This item as a list, or an <see cref="RlpException"/> naming <paramref name="what"/>.</summary>
    public RlpList AsList(string what)
        => this as RlpList ?? throw new RlpException($"{what} must be a list, not a byte string");
}

/// <summary>An RLP byte string.</summary>
public sealed class RlpString : RlpItem
{
    internal RlpString(byte[] bytes) => Bytes = bytes;

    /// <summary>The raw bytes.</summary>
    public byte[] Bytes { get; }

    /// <inheritdoc />
    public override bool IsList => false;

    /// <summary>
    /// Reads the string as a canonical unsigned integer of at most <paramref name="maxBytes"/> bytes:
    /// a leading zero byte is rejected because it would give the same number two encodings.
    /// </summary>
    public BigInteger ToInteger(string what, int maxBytes = 32)
    {
        if (Bytes.Length > 0 && Bytes[0] == 0)
        {
            throw new RlpException($"{what} has a leading zero byte (integers must be minimal)");
        }

        if (Bytes.Length > maxBytes)
        {
            throw new RlpException($"{what} is {Bytes.Length} bytes long, more than the {maxBytes} allowed");
        }

        return UnsignedBigEndian.FromBytes(Bytes);
    }

    /// <inheritdoc />
    public override string ToString() => Orchestrator.Domain.Crypto.Hex.Encode(Bytes);
}

/// <summary>An RLP list.</summary>
public sealed class RlpList : RlpItem
{
    internal RlpList(IReadOnlyList<RlpItem> items) => Items = items;

    /// <summary>The items, in order.</summary>
    public IReadOnlyList<RlpItem> Items { get; }

    /// <summary>Number of items.</summary>
    public int Count => Items.Count;

    /// <summary>Item at <paramref name="index"/>.</summary>
    public RlpItem this[int index] => Items[index];

    /// <inheritdoc />
    public override bool IsList => true;

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}
