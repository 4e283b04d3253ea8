using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Grains.Secrets;

/// <summary>
/// Which of an owner's secrets a task gets, and under which name: every secret of the app and the
/// dataset by its own name; of the requester's, only those the deal selected, each under its index
/// (iExec's <c>iexec_secrets</c>: the worker exposes requester secret "1" as <c>IEXEC_REQUESTER_SECRET_1</c>).
/// </summary>
internal static class RequesterSelection
{
    public static IEnumerable<(string ReleasedAs, string Name, SealedSecret Sealed)> Entitled(
        SecretOwnerKind kind, IReadOnlyDictionary<string, SealedSecret> stored, IReadOnlyDictionary<int, string> selected)
    {
        if (kind != SecretOwnerKind.Requester)
        {
            return stored.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Key, s.Value));
        }

        return selected.OrderBy(s => s.Key)
            .Where(s => stored.ContainsKey(s.Value))
            .Select(s => (s.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Value, stored[s.Value]));
    }
}
