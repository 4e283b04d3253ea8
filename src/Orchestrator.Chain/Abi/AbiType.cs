namespace Orchestrator.Chain.Abi;

/// <summary>
/// A parsed Solidity ABI type. Values of each kind are represented as: UInt/Int →
/// <see cref="System.Numerics.BigInteger"/>; Address → <see cref="Orchestrator.Domain.Crypto.Address"/>;
/// Bool → <see cref="bool"/>; FixedBytes/Bytes → <c>byte[]</c>; String → <see cref="string"/>;
/// arrays and tuples → <c>object?[]</c>. The encoder also accepts common conversions (integers,
/// <see cref="Orchestrator.Domain.Crypto.Hash32"/>, 0x-hex text, any <see cref="System.Collections.IEnumerable"/>).
/// </summary>
public sealed class AbiType : IEquatable<AbiType>
{
    private AbiType(AbiKind kind, int size, AbiType? element, IReadOnlyList<AbiType> components)
    {
        Kind = kind;
        Size = size;
        Element = element;
        Components = components;
        CanonicalName = kind switch
        {
            AbiKind.UInt => $"uint{size}",
            AbiKind.Int => $"int{size}",
            AbiKind.Address => "address",
            AbiKind.Bool => "bool",
            AbiKind.FixedBytes => $"bytes{size}",
            AbiKind.Bytes => "bytes",
            AbiKind.String => "string",
            AbiKind.Array => element!.CanonicalName + "[]",
            AbiKind.FixedArray => element!.CanonicalName + $"[{size}]",
            AbiKind.Tuple => "(" + string.Join(",", components.Select(c => c.CanonicalName)) + ")",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        IsDynamic = kind switch
        {
            AbiKind.Bytes or AbiKind.String or AbiKind.Array => true,
            AbiKind.FixedArray => element!.IsDynamic,
            AbiKind.Tuple => components.Any(c => c.IsDynamic),
            _ => false,
        };
        HeadSize = IsDynamic ? 32 : kind switch
        {
            AbiKind.FixedArray => size * element!.HeadSize,
            AbiKind.Tuple => components.Sum(c => c.HeadSize),
            _ => 32,
        };
    }

    /// <summary>The family.</summary>
    public AbiKind Kind { get; }

    /// <summary>Bits for uintN/intN, bytes for bytesN, length for T[k]; 0 otherwise.</summary>
    public int Size { get; }

    /// <summary>The element type of an array.</summary>
    public AbiType? Element { get; }

    /// <summary>The components of a tuple (empty otherwise).</summary>
    public IReadOnlyList<AbiType> Components { get; }

    /// <summary>Canonical text as used in signatures (uint → uint256, tuples as "(…)").</summary>
    public string CanonicalName { get; }

    /// <summary>True when the encoding is referenced by an offset from the head.</summary>
    public bool IsDynamic { get; }

    /// <summary>Bytes the type occupies in the head: 32 for dynamic types, the full static size otherwise.</summary>
    public int HeadSize { get; }

    /// <summary>uintN.</summary>
    public static AbiType UInt(int bits = 256) => new(AbiKind.UInt, CheckBits(bits), null, []);

    /// <summary>intN.</summary>
    public static AbiType Int(int bits = 256) => new(AbiKind.Int, CheckBits(bits), null, []);

    /// <summary>address.</summary>
    public static AbiType Address { get; } = new(AbiKind.Address, 0, null, []);

    /// <summary>bool.</summary>
    public static AbiType Bool { get; } = new(AbiKind.Bool, 0, null, []);

    /// <summary>bytes.</summary>
    public static AbiType Bytes { get; } = new(AbiKind.Bytes, 0, null, []);

    /// <summary>string.</summary>
    public static AbiType String { get; } = new(AbiKind.String, 0, null, []);

    /// <summary>bytesN.</summary>
    public static AbiType FixedBytes(int size)
        => size is >= 1 and <= 32 ? new(AbiKind.FixedBytes, size, null, []) : throw new FormatException($"bytes{size} is not a type: N must be 1…32");

    /// <summary>T[].</summary>
    public static AbiType ArrayOf(AbiType element) => new(AbiKind.Array, 0, element, []);

    /// <summary>T[k].</summary>
    public static AbiType FixedArrayOf(AbiType element, int length)
        => length >= 1 ? new(AbiKind.FixedArray, length, element, []) : throw new FormatException("a fixed array has at least one element");

    /// <summary>(T1,…,Tn).</summary>
    public static AbiType Tuple(params IEnumerable<AbiType> components) => new(AbiKind.Tuple, 0, null, [.. components]);

    /// <summary>Parses a type such as <c>uint</c>, <c>bytes32[]</c> or <c>(bytes32,address[])[]</c>.</summary>
    public static AbiType Parse(string text) => AbiSignatureParser.ParseType(text);

    /// <inheritdoc />
    public bool Equals(AbiType? other) => other is not null && other.CanonicalName == CanonicalName;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AbiType);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalName);

    /// <inheritdoc />
    public override string ToString() => CanonicalName;

    private static int CheckBits(int bits)
        => bits is >= 8 and <= 256 && bits % 8 == 0 ? bits : throw new FormatException($"integer width {bits} is not a multiple of 8 in 8…256");
}
