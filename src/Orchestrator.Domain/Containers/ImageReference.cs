using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Orchestrator.Domain.Containers;

/// <summary>
/// An app's container image pinned by content: <c>registry/name@sha256:&lt;64 hex&gt;</c> (a tag may stand
/// before the digest, <c>name:tag@sha256:…</c>; it is ignored, the digest decides). A reference without a
/// digest is refused: a tag can be moved to other bytes, so what runs would no longer be what the app's
/// owner registered. Checked by the server before it hands a reference out and by the worker before it pulls.
/// </summary>
public sealed partial record ImageReference
{
    /// <summary>The rule a refused reference breaks, as error messages quote it.</summary>
    public const string Rule = "an image reference must be pinned by digest: registry/name@sha256:<64 lowercase hex digits>";

    private ImageReference(string repository, string digest)
    {
        Repository = repository;
        Digest = digest;
    }

    /// <summary>Registry and path, e.g. <c>registry.example:5000/team/app</c> (the tag, if any, removed).</summary>
    public string Repository { get; }

    /// <summary>The manifest digest, <c>sha256:</c> and 64 lowercase hex digits.</summary>
    public string Digest { get; }

    /// <summary>The canonical form, <c>repository@digest</c>: what is pulled.</summary>
    public override string ToString() => Repository + "@" + Digest;

    /// <summary>Parses a reference; on failure <paramref name="error"/> is one line naming the rule.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the image reference is empty; " + Rule;
            return false;
        }

        if (text.Length > 512)
        {
            error = $"the image reference is {text.Length} characters long (at most 512); {Rule}";
            return false;
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            error = $"'{text}' has no digest; {Rule}";
            return false;
        }

        var digest = text[(at + 1)..];
        if (!DigestPattern().IsMatch(digest))
        {
            error = $"'{text}' has a malformed digest '{digest}'; {Rule}";
            return false;
        }

        var name = text[..at];
        // A tag after the last '/' (a ':' there; a ':' before it is the registry's port) is dropped.
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > slash)
        {
            name = name[..colon];
        }

        if (!NamePattern().IsMatch(name) || !name.Contains('/', StringComparison.Ordinal))
        {
            error = $"'{text}' does not name a registry and repository (registry/name, lowercase letters, digits, '.', '_', '-', '/', and a ':port' on the registry); {Rule}";
            return false;
        }

        reference = new ImageReference(name, digest);
        error = null;
        return true;
    }

    /// <summary>Parses a reference or throws <see cref="FormatException"/> with the rule.</summary>
    public static ImageReference Parse(string text)
        => TryParse(text, out var reference, out var error) ? reference : throw new FormatException(error);

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();

    // registry host[:port] then lowercase path components, as the OCI distribution spec names repositories.
    [GeneratedRegex("^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
