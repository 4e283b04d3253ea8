using System.Globalization;

namespace Orchestrator.Chain.Abi;

/// <summary>
/// Recursive-descent parser for human-readable ABI text: types (<c>uint</c>, <c>(bytes32,address[])[2]</c>,
/// <c>tuple(uint8)</c>) and signatures (<c>finalize((bytes32,bytes32,address[])[])</c>,
/// <c>event Transfer(address indexed from, address indexed to, uint256 value)</c>,
/// <c>function f(uint a) returns (bool)</c>).
/// </summary>
internal sealed class AbiSignatureParser
{
    private static readonly HashSet<string> Modifiers = new(StringComparer.Ordinal) { "memory", "calldata", "storage", "payable" };
    private readonly string _text;
    private int _position;

    private AbiSignatureParser(string text) => _text = text;

    public static AbiType ParseType(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new AbiSignatureParser(text);
        var type = parser.Type();
        parser.End();
        return type;
    }

    public static ParsedSignature ParseSignature(string text, string? keyword)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new AbiSignatureParser(text);
        parser.SkipSpace();
        if (keyword is not null && parser.PeekIdentifier() == keyword)
        {
            parser.Identifier();
        }

        var name = parser.Identifier();
        var inputs = parser.Parameters();
        IReadOnlyList<AbiParameter> outputs = [];
        var anonymous = false;
        while (parser.PeekIdentifier() is { } word)
        {
            parser.Identifier();
            switch (word)
            {
                case "returns":
                    outputs = parser.Parameters();
                    break;
                case "anonymous":
                    anonymous = true;
                    break;
                case "external" or "public" or "view" or "pure" or "payable" or "nonpayable":
                    break;
                default:
                    throw parser.Error($"unexpected '{word}'");
            }
        }

        parser.End();
        return new ParsedSignature(name, inputs, outputs, anonymous);
    }

    private List<AbiParameter> Parameters()
    {
        Expect('(');
        var parameters = new List<AbiParameter>();
        SkipSpace();
        if (TryConsume(')'))
        {
            return parameters;
        }

        do
        {
            var type = Type();
            var indexed = false;
            var name = string.Empty;
            while (PeekIdentifier() is { } word)
            {
                Identifier();
                if (word == "indexed")
                {
                    indexed = true;
                }
                else if (!Modifiers.Contains(word))
                {
                    name = word;
                }
            }

            parameters.Add(new AbiParameter(name, type, indexed));
        }
        while (TryConsume(','));

        Expect(')');
        return parameters;
    }

    private AbiType Type()
    {
        SkipSpace();
        AbiType type;
        if (Peek() == '(')
        {
            type = AbiType.Tuple(Parameters().Select(p => p.Type));
        }
        else
        {
            var word = Identifier();
            type = word == "tuple" && Peek() == '(' ? AbiType.Tuple(Parameters().Select(p => p.Type)) : Elementary(word);
        }

        while (true)
        {
            SkipSpace();
            if (!TryConsume('['))
            {
                return type;
            }

            var start = _position;
            while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
            {
                _position++;
            }

            var digits = _text[start.._position];
            Expect(']');
            type = digits.Length == 0
                ? AbiType.ArrayOf(type)
                : AbiType.FixedArrayOf(type, int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture));
        }
    }

    private AbiType Elementary(string word)
    {
        switch (word)
        {
            case "address":
                return AbiType.Address;
            case "bool":
                return AbiType.Bool;
            case "string":
                return AbiType.String;
            case "bytes":
                return AbiType.Bytes;
            case "byte":
                return AbiType.FixedBytes(1);
            case "uint":
                return AbiType.UInt();
            case "int":
                return AbiType.Int();
        }

        try
        {
            if (word.StartsWith("uint", StringComparison.Ordinal) && Number(word[4..]) is { } ubits)
            {
                return AbiType.UInt(ubits);
            }

            if (word.StartsWith("int", StringComparison.Ordinal) && Number(word[3..]) is { } bits)
            {
                return AbiType.Int(bits);
            }

            if (word.StartsWith("bytes", StringComparison.Ordinal) && Number(word[5..]) is { } size)
            {
                return AbiType.FixedBytes(size);
            }
        }
        catch (FormatException e)
        {
            throw Error(e.Message);
        }

        throw Error($"'{word}' is not an ABI type");
    }

    private static int? Number(string digits)
        => digits.Length is > 0 and <= 3 && digits[0] != '0' && digits.All(char.IsAsciiDigit)
            ? int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;

    private string Identifier()
    {
        SkipSpace();
        var start = _position;
        while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] is '_' or '$'))
        {
            _position++;
        }

        if (start == _position || char.IsAsciiDigit(_text[start]))
        {
            throw Error("expected a name");
        }

        return _text[start.._position];
    }

    private string? PeekIdentifier()
    {
        SkipSpace();
        if (_position >= _text.Length || !(char.IsAsciiLetter(_text[_position]) || _text[_position] is '_' or '$'))
        {
            return null;
        }

        var saved = _position;
        var word = Identifier();
        _position = saved;
        return word;
    }

    private char? Peek()
    {
        SkipSpace();
        return _position < _text.Length ? _text[_position] : null;
    }

    private bool TryConsume(char c)
    {
        SkipSpace();
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
        {
            throw Error($"expected '{c}'");
        }
    }

    private void End()
    {
        SkipSpace();
        if (_position != _text.Length)
        {
            throw Error("unexpected text");
        }
    }

    private void SkipSpace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
    }

    private FormatException Error(string what) => new($"{what} at position {_position} of '{_text}'");
}

/// <summary>The parts of a parsed function, event or error signature.</summary>
internal sealed record ParsedSignature(string Name, IReadOnlyList<AbiParameter> Inputs, IReadOnlyList<AbiParameter> Outputs, bool Anonymous);
