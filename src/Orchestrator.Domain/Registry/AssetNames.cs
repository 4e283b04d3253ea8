namespace Orchestrator.Domain.Registry;

/// <summary>The names of apps and datasets: 1..64 of [A-Za-z0-9._-], so they read the same in a URL, a log line and a wallet.</summary>
public static class AssetNames
{
    /// <summary>The longest name.</summary>
    public const int MaxLength = 64;

    /// <summary>Null when valid; else the rule it breaks.</summary>
    public static string? Problem(string? name)
        => !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? null
            : $"name: '{(name is { Length: > 80 } ? name[..80] + "…" : name)}' must be 1..{MaxLength} of [A-Za-z0-9._-]";
}
