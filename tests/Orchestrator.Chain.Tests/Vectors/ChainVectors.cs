using System.Text.Json;

namespace Orchestrator.Chain.Tests.Vectors;

/// <summary>
/// Locates shared/chain-vectors: env var ORCHESTRATOR_SHARED_DIR (the shared folder or the
/// chain-vectors folder itself), else walking up from the test assembly. Missing vectors fail the
/// tests; they never skip.
/// </summary>
public static class ChainVectors
{
    private static readonly Lazy<string> Folder = new(Locate);

    public static string Directory => Folder.Value;

    public static string PathOf(string relative) => Path.Combine(Directory, relative);

    public static JsonElement Load(string relative)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(PathOf(relative)));
        return document.RootElement.Clone();
    }

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ORCHESTRATOR_SHARED_DIR");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            foreach (var candidate in new[] { Path.Combine(fromEnv, "chain-vectors"), fromEnv })
            {
                if (File.Exists(Path.Combine(candidate, "README.md")) && System.IO.Directory.Exists(Path.Combine(candidate, "ethers-v6")))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"ORCHESTRATOR_SHARED_DIR={fromEnv} holds no chain-vectors folder");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "chain-vectors");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "shared/chain-vectors was not found above " + AppContext.BaseDirectory + "; set ORCHESTRATOR_SHARED_DIR");
    }
}

/// <summary>A named vector case for xunit theories; the name shows in test output.</summary>
public sealed class Case
{
    public Case(string name, JsonElement data)
    {
        Name = name;
        Data = data;
    }

    public string Name { get; }

    public JsonElement Data { get; }

    public override string ToString() => Name;
}
