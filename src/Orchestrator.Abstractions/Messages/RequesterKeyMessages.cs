using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Messages;

/// <summary>A requester's registered result-encryption key (see <see cref="Domain.Results.BeneficiaryKeyRegistration"/>).</summary>
/// <param name="Requester">The requester it is registered for (the registration's signer).</param>
/// <param name="PublicKey">The key, 64 bytes X ‖ Y.</param>
/// <param name="Expiry">The accepted registration's expiry (Unix seconds): a later one replaces it, an earlier one is a replay.</param>
/// <param name="SetAt">When the pool accepted it.</param>
[GenerateSerializer, Immutable, Alias("orch.requester-key.v1")]
public sealed record RequesterKey(
    [property: Id(0)] Address Requester,
    [property: Id(1)] byte[] PublicKey,
    [property: Id(2)] ulong Expiry,
    [property: Id(3)] DateTimeOffset SetAt);

/// <summary>The answer to a key registration.</summary>
/// <param name="Key">The key registered now (the new one when accepted, the current one when refused; null when none).</param>
/// <param name="Changed">True when this call replaced or created the key; false for a repeat of the accepted registration or a refusal.</param>
/// <param name="Error">Empty when accepted; else the one-line refusal naming the rule.</param>
[GenerateSerializer, Immutable, Alias("orch.requester-key-set.v1")]
public sealed record RequesterKeySetResult(
    [property: Id(0)] RequesterKey? Key,
    [property: Id(1)] bool Changed,
    [property: Id(2)] string Error)
{
    /// <summary>True when the registration stands (changed now or a repeat).</summary>
    public bool Accepted => Error.Length == 0;
}
