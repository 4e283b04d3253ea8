using System.Text.Json;

namespace Orchestrator.Api.Workers;

/// <summary>
/// A task's parameters as the worker gets them. Parameters written as an iExec-style JSON object
/// ({"iexec_args": "...", "iexec_input_files": ["https://..."]}) are split into arguments and input
/// file URLs (an object that only selects secrets, "iexec_secrets", gives no arguments); any other text is the arguments as given.
/// </summary>
internal static class TaskParameters
{
    /// <summary>The arguments and input file URLs of <paramref name="parameters"/>.</summary>
    public static (string Args, IReadOnlyList<string> InputFiles) Split(string parameters)
    {
        if (parameters.Length == 0 || parameters[0] != '{')
        {
            return (parameters, []);
        }

        try
        {
            using var document = JsonDocument.Parse(parameters);
            var root = document.RootElement;
            if (!root.TryGetProperty("iexec_args", out var args) && !root.TryGetProperty("iexec_input_files", out _) && !root.TryGetProperty("iexec_secrets", out _))
            {
                return (parameters, []);
            }

            var files = root.TryGetProperty("iexec_input_files", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!).ToList()
                : [];
            return (args.ValueKind == JsonValueKind.String ? args.GetString()! : string.Empty, files);
        }
        catch (JsonException)
        {
            return (parameters, []); // not JSON after all: the text is the arguments
        }
    }
}
