using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Abi;

/// <summary>A contract function (or custom error): canonical signature, 4-byte selector, call data and results.</summary>
public sealed class AbiFunction
{
    private AbiFunction(string name, IReadOnlyList<AbiParameter> inputs, IReadOnlyList<AbiParameter> outputs)
    {
        Name = name;
        Inputs = inputs;
        Outputs = outputs;
        Signature = $"{name}({string.Join(",", inputs.Select(p => p.Type.CanonicalName))})";
        Selector = Keccak256.Hash(Encoding.ASCII.GetBytes(Signature))[..4];
    }

    /// <summary>The function name.</summary>
    public string Name { get; }

    /// <summary>Parameters.</summary>
    public IReadOnlyList<AbiParameter> Inputs { get; }

    /// <summary>Return values (empty when the text had no <c>returns (…)</c>).</summary>
    public IReadOnlyList<AbiParameter> Outputs { get; }

    /// <summary>Canonical signature, e.g. <c>transfer(address,uint256)</c>.</summary>
    public string Signature { get; }

    /// <summary>First four bytes of keccak256(<see cref="Signature"/>).</summary>
    public byte[] Selector { get; }

    /// <summary>
    /// Parses <c>name(type [name], …)</c>, optionally prefixed by <c>function</c>/<c>error</c> and
    /// followed by modifiers and <c>returns (…)</c>.
    /// </summary>
    public static AbiFunction Parse(string signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var keyword = signature.TrimStart().StartsWith("error ", StringComparison.Ordinal) ? "error" : "function";
        var parsed = AbiSignatureParser.ParseSignature(signature, keyword);
        return new AbiFunction(parsed.Name, parsed.Inputs, parsed.Outputs);
    }

    /// <summary>Selector ‖ abi.encode(arguments).</summary>
    public byte[] EncodeCall(params object?[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var encoded = AbiEncoder.Encode(Inputs.Select(p => p.Type).ToList(), arguments);
        return [.. Selector, .. encoded];
    }

    /// <summary>Decodes call data after checking the selector.</summary>
    public object?[] DecodeCall(ReadOnlySpan<byte> callData)
    {
        if (callData.Length < 4 || !callData[..4].SequenceEqual(Selector))
        {
            throw new AbiException($"call data does not start with the selector {Hex.Encode(Selector)} of {Signature}");
        }

        return AbiDecoder.Decode(Inputs.Select(p => p.Type).ToList(), callData[4..]);
    }

    /// <summary>Decodes return data using <see cref="Outputs"/>.</summary>
    public object?[] DecodeOutput(ReadOnlySpan<byte> returnData)
        => AbiDecoder.Decode(Outputs.Select(p => p.Type).ToList(), returnData);

    /// <inheritdoc />
    public override string ToString() => Signature;
}
