using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Abstractions.Serialization;

// The domain has no Orleans reference, so its value types cross the wire through these surrogates.

/// <summary>Wire form of <see cref="Hash32"/>.</summary>
[GenerateSerializer, Immutable, Alias("orch.hash32")]
public struct Hash32Surrogate
{
    /// <summary>The 32 bytes.</summary>
    [Id(0)] public byte[] Bytes;
}

/// <summary>Converts <see cref="Hash32"/> to and from its wire form.</summary>
[RegisterConverter]
public sealed class Hash32Converter : IConverter<Hash32, Hash32Surrogate>
{
    /// <inheritdoc />
    public Hash32 ConvertFromSurrogate(in Hash32Surrogate surrogate) => surrogate.Bytes is null ? default : new Hash32(surrogate.Bytes);

    /// <inheritdoc />
    public Hash32Surrogate ConvertToSurrogate(in Hash32 value) => new() { Bytes = value.ToArray() };
}

/// <summary>Wire form of <see cref="Address"/>.</summary>
[GenerateSerializer, Immutable, Alias("orch.address")]
public struct AddressSurrogate
{
    /// <summary>The 20 bytes.</summary>
    [Id(0)] public byte[] Bytes;
}

/// <summary>Converts <see cref="Address"/> to and from its wire form.</summary>
[RegisterConverter]
public sealed class AddressConverter : IConverter<Address, AddressSurrogate>
{
    /// <inheritdoc />
    public Address ConvertFromSurrogate(in AddressSurrogate surrogate) => surrogate.Bytes is null ? default : new Address(surrogate.Bytes);

    /// <inheritdoc />
    public AddressSurrogate ConvertToSurrogate(in Address value) => new() { Bytes = value.Bytes.ToArray() };
}

/// <summary>Wire form of <see cref="TeeTag"/>.</summary>
[GenerateSerializer, Immutable, Alias("orch.teetag")]
public struct TeeTagSurrogate
{
    /// <summary>The tag bits.</summary>
    [Id(0)] public uint Bits;
}

/// <summary>Converts <see cref="TeeTag"/> to and from its wire form.</summary>
[RegisterConverter]
public sealed class TeeTagConverter : IConverter<TeeTag, TeeTagSurrogate>
{
    /// <inheritdoc />
    public TeeTag ConvertFromSurrogate(in TeeTagSurrogate surrogate) => new(surrogate.Bits);

    /// <inheritdoc />
    public TeeTagSurrogate ConvertToSurrogate(in TeeTag value) => new() { Bits = value.Bits };
}
