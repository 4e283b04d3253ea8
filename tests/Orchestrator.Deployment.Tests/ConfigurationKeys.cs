using System.Collections;
using System.Reflection;

namespace Orchestrator.Deployment.Tests;

/// <summary>
/// Every configuration key the code reads, derived by reflection from the options classes (each has a
/// <c>public const string Section</c>) of the Orchestrator assemblies: never a hand-copied list.
/// A key is a pattern of segments where "*" is a dictionary key and "#" a list index.
/// </summary>
public static class ConfigurationKeys
{
    /// <summary>Keys of the .NET host itself that deployments may set.</summary>
    private static readonly string[] HostPrefixes = ["Logging", "ASPNETCORE_", "DOTNET_", "Kestrel"];

    private static readonly Lazy<IReadOnlyList<string[]>> Patterns = new(Build);

    /// <summary>The options types found (for messages).</summary>
    public static IReadOnlyList<Type> OptionsTypes { get; } = FindOptionsTypes();

    /// <summary>Every key, ":"-separated.</summary>
    public static IEnumerable<string> All => Patterns.Value.Select(p => string.Join(':', p));

    /// <summary>Whether an environment variable name ("A__B__C") or key ("A:B:C") is read by the code.</summary>
    public static bool IsKnown(string nameOrKey)
    {
        var key = nameOrKey.Replace("__", ":", StringComparison.Ordinal);
        if (HostPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        var segments = key.Split(':');
        return Patterns.Value.Any(p => Matches(p, segments));
    }

    /// <summary>The default value of a key's property on a fresh options object (for defaults like ports).</summary>
    public static T DefaultOf<TOptions, T>(Func<TOptions, T> read) where TOptions : new() => read(new TOptions());

    private static bool Matches(string[] pattern, string[] segments)
    {
        if (pattern.Length != segments.Length)
        {
            return false;
        }

        for (var i = 0; i < pattern.Length; i++)
        {
            var ok = pattern[i] switch
            {
                "*" => segments[i].Length > 0,
                "#" => int.TryParse(segments[i], out _),
                _ => string.Equals(pattern[i], segments[i], StringComparison.OrdinalIgnoreCase),
            };
            if (!ok) return false;
        }

        return true;
    }

    private static List<Type> FindOptionsTypes()
    {
        var directory = AppContext.BaseDirectory;
        var assemblies = Directory.GetFiles(directory, "Orchestrator.*.dll").Concat(Directory.GetFiles(directory, "orchestrator-*.dll"))
            .Where(f => !Path.GetFileName(f).Contains(".Tests", StringComparison.Ordinal))
            .Select(f => Assembly.LoadFrom(f));
        return assemblies.SelectMany(SafeTypes)
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .Distinct()
            .ToList();
    }

    private static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }

    private static IReadOnlyList<string[]> Build()
    {
        var patterns = new List<string[]>();
        foreach (var type in OptionsTypes)
        {
            var section = (string)type.GetField("Section")!.GetRawConstantValue()!;
            Walk(type, [.. section.Split(':')], patterns, 0);
        }

        return patterns;
    }

    private static void Walk(Type type, List<string> prefix, List<string[]> patterns, int depth)
    {
        if (depth > 6)
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0)
            {
                continue; // computed (get-only) properties are not bound from configuration
            }

            AddValue(property.PropertyType, [.. prefix, property.Name], patterns, depth);
        }
    }

    private static void AddValue(Type type, List<string> key, List<string[]> patterns, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(type))
        {
            patterns.Add([.. key]);
            return;
        }

        var dictionary = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>)));
        if (dictionary is not null)
        {
            AddValue(dictionary.GetGenericArguments()[1], [.. key, "*"], patterns, depth + 1);
            return;
        }

        if (type.IsArray)
        {
            AddValue(type.GetElementType()!, [.. key, "#"], patterns, depth + 1);
            return;
        }

        var enumerable = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is not null && typeof(IEnumerable).IsAssignableFrom(type))
        {
            AddValue(enumerable.GetGenericArguments()[0], [.. key, "#"], patterns, depth + 1);
            return;
        }

        Walk(type, key, patterns, depth + 1);
    }

    private static bool IsLeaf(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
           || type == typeof(Uri) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid);
}
