namespace Orchestrator.Testing;

/// <summary>Paths in the repository, found by walking up from the test assembly to Orchestrator.sln.</summary>
public static class Repository
{
    private static readonly Lazy<string> FoundRoot = new(FindRoot);

    /// <summary>The repository's root directory.</summary>
    public static string Root => FoundRoot.Value;

    /// <summary>A path from the root ("k8s/50-pdb.yaml").</summary>
    public static string PathOf(params string[] relative) => Path.Combine([Root, .. relative]);

    /// <summary>A file's text, by its path from the root.</summary>
    public static string Read(params string[] relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}
