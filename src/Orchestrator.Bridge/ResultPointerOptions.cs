namespace Orchestrator.Bridge;

/// <summary>
/// Where requesters find results, as the chain tells them (the "Orchestrator:Results" section; only
/// <see cref="PublicBaseUrl"/> is read here). Every finalization names the base and the hub emits it in
/// its TasksFinalized log, so task <c>t</c>'s result is at <c>&lt;base&gt;/v1/tasks/&lt;t&gt;/result</c>.
/// The location is fixed at finalization, before the archive is uploaded: it names the API, not a stored object.
/// </summary>
public sealed class ResultPointerOptions
{
    /// <summary>The configuration section (shared with the result store's options).</summary>
    public const string Section = "Orchestrator:Results";

    /// <summary>The pool's public results API as requesters reach it (e.g. "https://pool.example.org"); unset: finalizations carry no pointer.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The base as the chain carries it: no trailing '/', empty when unset.</summary>
    public string ResultBase => PublicBaseUrl is null ? string.Empty : PublicBaseUrl.AbsoluteUri.TrimEnd('/');

    /// <summary>Every problem, each naming its key and rule.</summary>
    public List<string> Check()
    {
        var errors = new List<string>();
        if (PublicBaseUrl is null)
        {
            return errors;
        }

        if (!PublicBaseUrl.IsAbsoluteUri || (PublicBaseUrl.Scheme != Uri.UriSchemeHttps && PublicBaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"Orchestrator:Results:PublicBaseUrl must be an absolute http(s) URL of the pool's results API, got \"{PublicBaseUrl}\"");
            return errors;
        }

        if (!string.IsNullOrEmpty(PublicBaseUrl.Query) || !string.IsNullOrEmpty(PublicBaseUrl.Fragment) || !string.IsNullOrEmpty(PublicBaseUrl.UserInfo))
        {
            errors.Add("Orchestrator:Results:PublicBaseUrl must have no query, fragment or credentials: requesters append /v1/tasks/<taskId>/result to it");
        }

        var length = System.Text.Encoding.UTF8.GetByteCount(ResultBase);
        if (length > Contract.PackedBatch.MaxResultBase)
        {
            errors.Add($"Orchestrator:Results:PublicBaseUrl must be at most {Contract.PackedBatch.MaxResultBase} bytes (the hub's MAX_RESULT_BASE), got {length}");
        }

        return errors;
    }
}
