using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Abi;

/// <summary>
/// A contract event: topic 0 and log decoding. Indexed parameters live in topics 1…3; an indexed
/// dynamic value (string, bytes, array, tuple) is stored as its keccak256 hash and comes back as a
/// <see cref="Hash32"/>. The other parameters are ABI-encoded together in the log data.
/// </summary>
public sealed class AbiEvent
{
    private AbiEvent(string name, IReadOnlyList<AbiParameter> parameters, bool anonymous)
    {
        if (parameters.Count(p => p.Indexed) > (anonymous ? 4 : 3))
        {
            throw new FormatException($"event {name} has more indexed parameters than topics allow");
        }

        Name = name;
        Parameters = parameters;
        Anonymous = anonymous;
        Signature = $"{name}({string.Join(",", parameters.Select(p => p.Type.CanonicalName))})";
        Topic0 = new Hash32(Keccak256.Hash(Encoding.ASCII.GetBytes(Signature)));
    }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>All parameters in declaration order.</summary>
    public IReadOnlyList<AbiParameter> Parameters { get; }

    /// <summary>Anonymous events have no topic 0.</summary>
    public bool Anonymous { get; }

    /// <summary>Canonical signature, e.g. <c>Transfer(address,address,uint256)</c>.</summary>
    public string Signature { get; }

    /// <summary>keccak256(<see cref="Signature"/>).</summary>
    public Hash32 Topic0 { get; }

    /// <summary>Parses <c>[event] Name(type [indexed] [name], …) [anonymous]</c>.</summary>
    public static AbiEvent Parse(string signature)
    {
        var parsed = AbiSignatureParser.ParseSignature(signature, "event");
        return new AbiEvent(parsed.Name, parsed.Inputs, parsed.Anonymous);
    }

    /// <summary>The topic a filter uses to match an indexed parameter's value.</summary>
    public static Hash32 EncodeTopic(AbiType type, object? value)
    {
        ArgumentNullException.ThrowIfNull(type);

        // ABI spec, "Encoding of Indexed Event Parameters": strings and bytes are hashed raw; arrays and
        // tuples are hashed over their padded in-place encoding without lengths or offsets.
        if (type.Kind is AbiKind.String or AbiKind.Bytes)
        {
            var bytes = value is string text ? Encoding.UTF8.GetBytes(text) : AbiValues.ToBytes(value, type);
            return new Hash32(Keccak256.Hash(bytes));
        }

        if (type.IsDynamic || type.Kind is AbiKind.Tuple or AbiKind.FixedArray)
        {
            return new Hash32(Keccak256.Hash(AbiPacked.EncodeInPlace(type, value)));
        }

        return new Hash32(AbiEncoder.Encode(type, value));
    }

    /// <summary>Decodes a log into values in parameter order; checks topic 0 for non-anonymous events.</summary>
    public object?[] DecodeLog(IReadOnlyList<Hash32> topics, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var topicIndex = 0;
        if (!Anonymous)
        {
            if (topics.Count == 0 || topics[0] != Topic0)
            {
                throw new AbiException($"the log's topic 0 is not {Signature}'s {Topic0}");
            }

            topicIndex = 1;
        }

        var indexedCount = Parameters.Count(p => p.Indexed);
        if (topics.Count != topicIndex + indexedCount)
        {
            throw new AbiException($"{Signature} has {indexedCount} indexed parameter(s) but the log has {topics.Count - topicIndex} topic(s) for them");
        }

        var unindexed = Parameters.Where(p => !p.Indexed).Select(p => p.Type).ToList();
        var dataValues = AbiDecoder.Decode(unindexed, data);
        var values = new object?[Parameters.Count];
        var dataIndex = 0;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var parameter = Parameters[i];
            if (!parameter.Indexed)
            {
                values[i] = dataValues[dataIndex++];
                continue;
            }

            var topic = topics[topicIndex++];
            var isHashed = parameter.Type.IsDynamic || parameter.Type.Kind is AbiKind.Tuple or AbiKind.FixedArray;
            values[i] = isHashed ? topic : AbiDecoder.Decode(parameter.Type, topic.ToArray());
        }

        return values;
    }

    /// <inheritdoc />
    public override string ToString() => Signature;
}
