using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Orchestrator.Deployment.Tests;

/// <summary>Untyped YAML (maps, lists, string scalars), with merge keys (&lt;&lt;: *anchor) applied.</summary>
public static class Yaml
{
    /// <summary>Parses one document.</summary>
    public static Dictionary<object, object> Map(string text)
        => (Dictionary<object, object>)new DeserializerBuilder().Build().Deserialize<object>(new MergingParser(new Parser(new StringReader(text))))!;

    /// <summary>A child map.</summary>
    public static Dictionary<object, object> M(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var value) && value is Dictionary<object, object> child ? child : throw new KeyNotFoundException($"no map '{key}' (keys: {string.Join(", ", map.Keys)})");

    /// <summary>A child list.</summary>
    public static List<object> L(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var value) && value is List<object> child ? child : throw new KeyNotFoundException($"no list '{key}'");

    /// <summary>A scalar, or null.</summary>
    public static string? S(this Dictionary<object, object> map, string key)
        => map.TryGetValue(key, out var value) ? value as string : null;
}
