using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// A deal selects only requester secrets its requester pushed: checked before the deal is created by
/// the admin API and the chain listener alike, so a refused deal stores nothing.
/// </summary>
public static class RequesterSecretsCheck
{
    /// <summary>Null when every secret the deal selects exists; else the rule the first missing one breaks.</summary>
    public static async Task<string?> MissingRequesterSecretAsync(this IGrainFactory grains, DealSpecMessage spec)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.RequesterSecrets is not { Count: > 0 } selected)
        {
            return null;
        }

        var stored = (await grains.Secrets(new SecretOwner(SecretOwnerKind.Requester, spec.Requester)).ListAsync().ConfigureAwait(false))
            .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return selected.OrderBy(s => s.Key).FirstOrDefault(s => !stored.Contains(s.Value)) is { Value: not null } missing
            ? $"requester secret \"{missing.Value}\" selected as index {missing.Key} does not exist (rule: a deal selects only secrets its requester pushed, `orchestrator secret push`)"
            : null;
    }
}
