using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// The secrets of one owner (dataset, app or requester), keyed by <see cref="SecretOwner.Key"/>. Values
/// are envelope-encrypted before they are stored and never leave the grain in clear: the secret
/// service unwraps them only to seal them again to an attested enclave.
/// </summary>
[Alias("orch.ISecretStoreGrain")]
public interface ISecretStoreGrain : IGrainWithStringKey
{
    /// <summary>Stores (or replaces) a named secret.</summary>
    [Alias("put")]
    Task<SecretMetadata> PutAsync(string name, byte[] value);

    /// <summary>
    /// Stores (or replaces) a secret its owner pushed: <paramref name="encryptedValue"/> is ECIES to the
    /// push key (<see cref="IPushKeyGrain"/>), opened here and stored only when its keccak256 is the
    /// <paramref name="valueHash"/> the owner signed (<see cref="ArgumentException"/> otherwise, nothing stored).
    /// </summary>
    [Alias("push")]
    Task<SecretMetadata> PushAsync(string name, byte[] encryptedValue, Hash32 valueHash);

    /// <summary>Records a release or refusal of the owner's secrets (the task audit's entry, with only this owner's names).</summary>
    [Alias("audit-add")]
    Task RecordAsync(SecretAuditEntry entry);

    /// <summary>The owner's audit trail, oldest first (the newest <c>SecretStoreGrain.MaxAuditEntries</c>).</summary>
    [Alias("audit")]
    Task<IReadOnlyList<SecretAuditEntry>> GetAuditAsync();

    /// <summary>Deletes a named secret; returns whether it existed.</summary>
    [Alias("delete")]
    Task<bool> DeleteAsync(string name);

    /// <summary>The owner's secrets, without values.</summary>
    [Alias("list")]
    Task<IReadOnlyList<SecretMetadata>> ListAsync();

    /// <summary>The sealed values by name, for the secret service's release path.</summary>
    [Alias("sealed")]
    Task<IReadOnlyDictionary<string, SealedSecret>> GetSealedAsync();

    /// <summary>
    /// The sealed values and the audit page that takes the next entry, in one call: the release path appends
    /// its entry to that page itself and calls <see cref="RecordAsync"/> only when the page is full.
    /// </summary>
    [Alias("release-view")]
    Task<SecretReleaseView> GetReleaseViewAsync();

    /// <summary>Re-wraps every data key under the active master key (rotation); returns how many changed.</summary>
    [Alias("rewrap")]
    Task<int> RewrapAsync();
}

/// <summary>
/// One page of an owner's audit trail, keyed "{owner key}/{page number}" (see <see cref="GrainKeys.SecretAuditPage"/>).
/// The trail is paged so that recording an entry writes one small page, not the whole trail: a popular app's
/// owner is told of every release of its secrets.
/// </summary>
[Alias("orch.ISecretAuditPageGrain")]
public interface ISecretAuditPageGrain : IGrainWithStringKey
{
    /// <summary>Appends the entry unless the page already holds <paramref name="capacity"/> entries; returns whether it did.</summary>
    [Alias("append")]
    Task<bool> AppendAsync(SecretAuditEntry entry, int capacity);

    /// <summary>The page's entries, oldest first.</summary>
    [Alias("entries")]
    Task<IReadOnlyList<SecretAuditEntry>> GetAsync();

    /// <summary>Forgets the page (it fell out of the retained trail).</summary>
    [Alias("clear")]
    Task ClearAsync();
}

/// <summary>
/// The secret service's record of one TEE task, keyed by task id: the task's enclave challenge key
/// (created here; only its address leaves, except sealed to the attested enclave holding the task's
/// replicate, until the task's final deadline) and the audit of every release and refusal.
/// </summary>
[Alias("orch.ITaskSecretsGrain")]
public interface ITaskSecretsGrain : IGrainWithStringKey
{
    /// <summary>Creates the task's enclave challenge (idempotent) and returns its address.</summary>
    [Alias("create-challenge")]
    Task<Address> CreateEnclaveChallengeAsync(TaskSecretTerms terms);

    /// <summary>An enclave fetches the task's key and secrets; granted or refused, the decision is audited.</summary>
    [Alias("fetch")]
    Task<SecretFetchResult> FetchAsync(SecretFetchRequest request);

    /// <summary>The record and its audit.</summary>
    [Alias("view")]
    Task<TaskSecretsView> GetViewAsync();

    /// <summary>
    /// Audits that a worker holding the task lost its TEE eligibility for it (a re-attestation or new
    /// collateral put it outside the app's policy, or it left a re-attestation unanswered) and gave it back:
    /// written to the task's audit and to each entitled owner's trail, as a refusal is.
    /// </summary>
    [Alias("audit-attestation-loss")]
    Task RecordAttestationLossAsync(SecretAuditEntry entry);
}
