namespace Orchestrator.Domain.Secrets;

/// <summary>A value sealed by <see cref="SecretEnvelope"/>: its data key wrapped by the master key named by its id, and the value sealed by the data key.</summary>
/// <param name="MasterKeyId">The id of the master key that wrapped <paramref name="WrappedDataKey"/>.</param>
/// <param name="WrappedDataKey">nonce (12) ‖ tag (16) ‖ the sealed data key.</param>
/// <param name="Ciphertext">nonce (12) ‖ tag (16) ‖ the sealed value.</param>
public sealed record SealedValue(string MasterKeyId, byte[] WrappedDataKey, byte[] Ciphertext);
