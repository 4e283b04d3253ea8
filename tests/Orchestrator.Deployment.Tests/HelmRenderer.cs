using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace Orchestrator.Deployment.Tests;

/// <summary>
/// Renders the chart's templates with the subset of Helm's template language they use (no Helm binary
/// here): <c>define</c>/<c>include</c>, <c>if</c>/<c>else</c>/<c>end</c>, value paths on .Values, .Release,
/// .Chart, <c>.Files.Get</c>, <c>toYaml</c>, and the pipes <c>quote</c>, <c>nindent</c>, <c>indent</c>.
/// Anything else fails loudly, so a template the renderer does not understand is never checked silently.
/// </summary>
public sealed partial class HelmRenderer
{
    private readonly string _chart;
    private readonly Dictionary<string, List<Node>> _defines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object?> _root;

    public HelmRenderer(string chartDirectory, Dictionary<object, object> values, string releaseName = "demo")
    {
        _chart = chartDirectory;
        var chart = Yaml.Map(File.ReadAllText(Path.Combine(chartDirectory, "Chart.yaml")));
        _root = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<object, object> { ["Name"] = releaseName, ["Namespace"] = "default" },
            ["Chart"] = new Dictionary<object, object> { ["Name"] = chart.S("name")!, ["Version"] = chart.S("version")!, ["AppVersion"] = chart.S("appVersion")! },
        };
        foreach (var helper in Directory.GetFiles(Path.Combine(chartDirectory, "templates"), "_*.tpl"))
        {
            Render(Parse(File.ReadAllText(helper)));
        }
    }

    /// <summary>Renders every template (not the _helpers) to text, by file name.</summary>
    public IReadOnlyDictionary<string, string> RenderAll()
        => Directory.GetFiles(Path.Combine(_chart, "templates"), "*.yaml").Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), f => Render(Parse(File.ReadAllText(f))), StringComparer.Ordinal);

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record ActionNode(string Expression) : Node;

    private sealed record IfNode(string Condition, List<Node> Then, List<Node> Else) : Node;

    private sealed record DefineNode(string Name, List<Node> Body) : Node;

    private static List<Node> Parse(string template)
    {
        var tokens = new List<(bool IsAction, string Text)>();
        var position = 0;
        foreach (Match match in ActionPattern().Matches(template))
        {
            var text = template[position..match.Index];
            if (match.Groups["left"].Success) text = text.TrimEnd();
            tokens.Add((false, text));
            tokens.Add((true, match.Groups["body"].Value.Trim()));
            position = match.Index + match.Length;
            if (match.Groups["right"].Success)
            {
                while (position < template.Length && char.IsWhiteSpace(template[position])) position++;
            }
        }

        tokens.Add((false, template[position..]));
        var index = 0;
        var nodes = ParseBlock(tokens, ref index, out var terminator);
        if (terminator is not null) throw new FormatException($"unexpected {{{{ {terminator} }}}}");
        return nodes;
    }

    private static List<Node> ParseBlock(List<(bool IsAction, string Text)> tokens, ref int index, out string? terminator)
    {
        var nodes = new List<Node>();
        while (index < tokens.Count)
        {
            var (isAction, text) = tokens[index++];
            if (!isAction)
            {
                if (text.Length > 0) nodes.Add(new TextNode(text));
                continue;
            }

            if (text.StartsWith("/*", StringComparison.Ordinal)) continue;
            if (text is "end" or "else")
            {
                terminator = text;
                return nodes;
            }

            if (text.StartsWith("if ", StringComparison.Ordinal))
            {
                var then = ParseBlock(tokens, ref index, out var end);
                var otherwise = new List<Node>();
                if (end == "else") otherwise = ParseBlock(tokens, ref index, out end);
                if (end != "end") throw new FormatException($"'{text}' is not closed");
                nodes.Add(new IfNode(text[3..].Trim(), then, otherwise));
            }
            else if (text.StartsWith("define ", StringComparison.Ordinal))
            {
                var body = ParseBlock(tokens, ref index, out var end);
                if (end != "end") throw new FormatException($"'{text}' is not closed");
                nodes.Add(new DefineNode(Unquote(text[7..].Trim()), body));
            }
            else
            {
                nodes.Add(new ActionNode(text));
            }
        }

        terminator = null;
        return nodes;
    }

    private string Render(List<Node> nodes)
    {
        var output = new StringBuilder();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    break;
                case DefineNode define:
                    _defines[define.Name] = define.Body;
                    break;
                case IfNode conditional:
                    output.Append(Render(Truthy(Evaluate(conditional.Condition)) ? conditional.Then : conditional.Else));
                    break;
                case ActionNode action:
                    output.Append(Format(Evaluate(action.Expression)));
                    break;
            }
        }

        return output.ToString();
    }

    private object? Evaluate(string expression)
    {
        var stages = expression.Split('|').Select(s => s.Trim()).ToList();
        var value = EvaluateCommand(stages[0]);
        foreach (var stage in stages.Skip(1))
        {
            var parts = stage.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            value = parts[0] switch
            {
                "quote" => "\"" + Format(value).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
                "nindent" => "\n" + Indent(Format(value), int.Parse(parts[1], CultureInfo.InvariantCulture)),
                "indent" => Indent(Format(value), int.Parse(parts[1], CultureInfo.InvariantCulture)),
                _ => throw new NotSupportedException($"pipe '{parts[0]}' in {{{{ {expression} }}}}"),
            };
        }

        return value;
    }

    private object? EvaluateCommand(string command)
    {
        if (command.StartsWith("not ", StringComparison.Ordinal)) return !Truthy(EvaluateCommand(command[4..].Trim()));
        if (command.StartsWith("include ", StringComparison.Ordinal))
        {
            var name = Unquote(command[8..].Trim().Split(' ')[0]);
            return _defines.TryGetValue(name, out var body) ? Render(body).Trim('\n') : throw new KeyNotFoundException($"no template '{name}' defined");
        }

        if (command.StartsWith("toYaml ", StringComparison.Ordinal))
        {
            return new SerializerBuilder().Build().Serialize(EvaluateCommand(command[7..].Trim())).TrimEnd('\n');
        }

        if (command.StartsWith(".Files.Get ", StringComparison.Ordinal))
        {
            return File.ReadAllText(Path.Combine(_chart, Unquote(command[11..].Trim()))).TrimEnd('\n');
        }

        if (command.StartsWith('"')) return Unquote(command);
        if (!command.StartsWith('.')) throw new NotSupportedException($"command '{command}'");

        object? current = _root;
        foreach (var segment in command[1..].Split('.'))
        {
            current = current switch
            {
                Dictionary<string, object?> root => root.TryGetValue(segment, out var v) ? v : null,
                Dictionary<object, object> map => map.TryGetValue(segment, out var v) ? v : throw new KeyNotFoundException($"{command}: values have no '{segment}'"),
                _ => throw new KeyNotFoundException($"{command}: '{segment}' of a scalar"),
            };
        }

        return current;
    }

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0 && s is not ("false" or "0" or "null" or "~"),
        Dictionary<object, object> map => map.Count > 0,
        List<object> list => list.Count > 0,
        _ => true,
    };

    private static string Format(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        _ => new SerializerBuilder().Build().Serialize(value).TrimEnd('\n'),
    };

    private static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        return string.Join('\n', text.Split('\n').Select(line => line.Length == 0 ? line : pad + line));
    }

    private static string Unquote(string text) => text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;

    [GeneratedRegex(@"\{\{(?<left>-)?(?<body>.*?)(?<right>-)?\}\}", RegexOptions.Singleline)]
    private static partial Regex ActionPattern();
}
