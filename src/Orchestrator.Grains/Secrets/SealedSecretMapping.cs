using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Grains.Secrets;

/// <summary>The stored wire record of a sealed secret and the domain's sealed value, one to one.</summary>
internal static class SealedSecretMapping
{
    /// <summary>The record kept in grain state.</summary>
    public static SealedSecret ToWire(this SealedValue value) => new(value.MasterKeyId, value.WrappedDataKey, value.Ciphertext);

    /// <summary>The value the envelope opens.</summary>
    public static SealedValue ToDomain(this SealedSecret secret) => new(secret.MasterKeyId, secret.WrappedDataKey, secret.Ciphertext);
}
