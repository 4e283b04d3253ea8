using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Orchestrator.Host.Persistence;

/// <summary>One versioned schema step (an embedded <c>Migrations/V{n}__{name}.sql</c>).</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script: recorded when applied, so an edited script that was already applied is detected.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>The migrations compiled into this build, in order.</summary>
public static partial class SchemaMigrations
{
    private static readonly Lazy<IReadOnlyList<SchemaMigration>> Loaded = new(Load);

    /// <summary>Every migration, by ascending version.</summary>
    public static IReadOnlyList<SchemaMigration> All => Loaded.Value;

    /// <summary>The schema version this build needs.</summary>
    public static int Latest => All[^1].Version;

    private static List<SchemaMigration> Load()
    {
        var assembly = typeof(SchemaMigrations).Assembly;
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"resource {resource} vanished");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new SchemaMigration(int.Parse(match.Groups["v"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            // A gap or a duplicate means a file was misnamed: fail loudly rather than skip a step.
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"schema migrations must be numbered 1..n without gaps; found V{migrations[i].Version} at position {i + 1}");
            }
        }

        return migrations.Count == 0
            ? throw new InvalidOperationException($"no schema migrations are embedded in {assembly.GetName().Name}")
            : migrations;
    }

    [GeneratedRegex(@"\.V(?<v>\d+)__(?<name>[A-Za-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex ResourceName();
}
