using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Abstractions.Serialization;

// The domain has no Orleans reference, so its value types cross the wire through these surrogates.

// Hash32 and Address are written by FixedBytesCodecs.cs: same bytes as a surrogate holding a byte array, without the array.

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
