using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Domain.Secrets;

/// <summary>
/// The requester secrets a deal selects, read from its params as iExec writes them: a JSON object whose
/// <c>iexec_secrets</c> member maps an index ("1".."100") to the name of a secret the requester pushed,
/// e.g. <c>{"iexec_args": "--x", "iexec_secrets": {"1": "api-token"}}</c>. A chain deal has no other
/// field to carry the selection, so this is how it selects; params that are not such an object select none.
/// </summary>
public static class RequesterSecretParams
{
    /// <summary>The params member that holds the selection.</summary>
    public const string Member = "iexec_secrets";

    /// <summary>The highest index a deal may select.</summary>
    public const int MaxIndex = 100;

    /// <summary>The longest secret name.</summary>
    public const int MaxNameLength = 128;

    /// <summary>
    /// Reads the selection of <paramref name="parameters"/>: true with null when it selects none, true
    /// with the selection, or false with the rule it breaks (an index out of range, a bad name, a
    /// member that is not an object of strings).
    /// </summary>
    public static bool TryRead(string parameters, out IReadOnlyDictionary<int, string>? selection, out string error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        selection = null;
        error = string.Empty;
        if (parameters.Length == 0 || parameters[0] != '{')
        {
            return true;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(parameters);
        }
        catch (JsonException)
        {
            return true; // not JSON: plain arguments, no selection
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(Member, out var member))
            {
                return true;
            }

            if (member.ValueKind != JsonValueKind.Object)
            {
                error = $"params.{Member}: must be an object of index to secret name, e.g. {{\"1\": \"api-token\"}} (got {member.ValueKind})";
                return false;
            }

            var selected = new SortedDictionary<int, string>();
            foreach (var entry in member.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index is < 1 or > MaxIndex)
                {
                    error = $"params.{Member}: index \"{Shown(entry.Name)}\" must be 1..{MaxIndex}";
                    return false;
                }

                if (entry.Value.ValueKind != JsonValueKind.String || NameProblem(entry.Value.GetString()!) is not null)
                {
                    error = $"params.{Member}[{index}]: {NameProblem(entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : string.Empty)}";
                    return false;
                }

                selected[index] = entry.Value.GetString()!;
            }

            selection = selected.Count == 0 ? null : new Dictionary<int, string>(selected);
            return true;
        }
    }

    /// <summary>Null for a valid secret name; else the rule it breaks.</summary>
    public static string? NameProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? null
            : $"a secret name is 1..{MaxNameLength} characters of letters, digits, '.', '_' or '-' (got \"{Shown(name)}\")";
    }

    private static string Shown(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
