namespace Orchestrator.Domain.Registry;

/// <summary>
/// An app image pinned by its content digest, <c>registry/name@sha256:&lt;64 lowercase hex&gt;</c>: a tag
/// can be moved to other bytes after the app is registered, a digest cannot, so workers run exactly
/// what the owner registered and the enclave measurements describe.
/// </summary>
public static class ImageReference
{
    private const string DigestMarker = "@sha256:";

    /// <summary>Null when <paramref name="text"/> is a digest-pinned reference; else the rule it breaks.</summary>
    public static string? Problem(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "image: is required (rule: registry/name@sha256:<64 hex digits>)";
        }

        var at = text.IndexOf(DigestMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return $"image: '{Shorten(text)}' has no digest (rule: an app image is pinned by digest, registry/name@sha256:<64 hex digits>; a tag alone can be moved)";
        }

        var name = text[..at];
        var digest = text[(at + DigestMarker.Length)..];
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || name.StartsWith('/') || name.EndsWith('/'))
        {
            return $"image: '{Shorten(text)}' has no repository name before the digest (rule: registry/name@sha256:<64 hex digits>)";
        }

        return digest.Length == 64 && digest.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'))
            ? null
            : $"image: the digest of '{Shorten(text)}' must be 64 lowercase hex digits after sha256:";
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
