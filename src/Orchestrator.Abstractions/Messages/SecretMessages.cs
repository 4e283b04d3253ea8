using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Abstractions.Messages;

/// <summary>A secret owner: kind and address. Its grain key is <c>dataset/0x…</c>, <c>app/0x…</c> or <c>requester/0x…</c>.</summary>
[GenerateSerializer, Immutable, Alias("orch.secret-owner.v1")]
public sealed record SecretOwner([property: Id(0)] SecretOwnerKind Kind, [property: Id(1)] Address Address)
{
    /// <summary>The grain key.</summary>
    public string Key => $"{Kind.ToString().ToLowerInvariant()}/{Address.ToLowerHex()}";

    /// <inheritdoc />
    public override string ToString() => Key;
}

/// <summary>A secret envelope-encrypted at rest: a per-secret data key (AES-256-GCM) wrapped by a master key named by its id.</summary>
[GenerateSerializer, Immutable, Alias("orch.sealed-secret.v1")]
public sealed record SealedSecret(
    [property: Id(0)] string MasterKeyId,
    [property: Id(1)] byte[] WrappedDataKey,
    [property: Id(2)] byte[] Ciphertext);

/// <summary>A secret as listed (never its value).</summary>
[GenerateSerializer, Immutable, Alias("orch.secret-metadata.v1")]
public sealed record SecretMetadata(
    [property: Id(0)] SecretOwner Owner,
    [property: Id(1)] string Name,
    [property: Id(2)] int Version,
    [property: Id(3)] string MasterKeyId,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset UpdatedAt,
    [property: Id(6)] int Length);

/// <summary>
/// What the release path reads of one owner in one call: the sealed values by name, and the page of the
/// owner's audit trail that takes the next entry (so the release's entry goes to that page directly).
/// </summary>
/// <param name="Sealed">The sealed values by name (never changed after it is returned).</param>
/// <param name="AuditPage">The page number of <see cref="Grains.ISecretAuditPageGrain"/> that takes the next entry.</param>
[GenerateSerializer, Immutable, Alias("orch.secret-release-view.v1")]
public sealed record SecretReleaseView(
    [property: Id(0)] IReadOnlyDictionary<string, SealedSecret> Sealed,
    [property: Id(1)] long AuditPage);

/// <summary>An enclave asks for the secrets of a task it runs, proving its session (see <see cref="SecretFetchProof"/>).</summary>
[GenerateSerializer, Immutable, Alias("orch.secret-fetch.v1")]
public sealed record SecretFetchRequest(
    [property: Id(0)] Address Worker,
    [property: Id(1)] string SessionId,
    [property: Id(2)] Hash32 TaskId,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] byte[] Signature);

/// <summary>One released secret, sealed (ECIES) to the enclave session key.</summary>
[GenerateSerializer, Immutable, Alias("orch.released-secret.v1")]
public sealed record ReleasedSecret(
    [property: Id(0)] SecretOwner Owner,
    [property: Id(1)] string Name,
    [property: Id(2)] byte[] SealedValue);

/// <summary>
/// The answer to a fetch: on success the task's enclave challenge key and every secret the task is
/// entitled to, each sealed with <see cref="Ecies"/> to the enclave session key (context: the task id);
/// otherwise a precise refusal.
/// </summary>
[GenerateSerializer, Immutable, Alias("orch.secret-fetch-result.v1")]
public sealed record SecretFetchResult(
    [property: Id(0)] bool Granted,
    [property: Id(1)] SecretRefusal Refusal,
    [property: Id(2)] string Message,
    [property: Id(3)] byte[]? SealedEnclaveKey,
    [property: Id(4)] IReadOnlyList<ReleasedSecret> Secrets,
    [property: Id(5)] Address EnclaveChallenge);

/// <summary>One audited decision of the secret service: who, which task, which measurement, when, and what.</summary>
[GenerateSerializer, Immutable, Alias("orch.secret-audit.v1")]
public sealed record SecretAuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] Hash32 TaskId,
    [property: Id(2)] Address Worker,
    [property: Id(3)] string SessionId,
    [property: Id(4)] string Measurement,
    [property: Id(5)] bool Granted,
    [property: Id(6)] SecretRefusal Refusal,
    [property: Id(7)] IReadOnlyList<string> Released,
    [property: Id(8)] string Message);

/// <summary>What a task's secret record was created with: the terms of its deal that decide entitlement and expiry.</summary>
[GenerateSerializer, Immutable, Alias("orch.task-secret-terms.v1")]
public sealed record TaskSecretTerms(
    [property: Id(0)] Hash32 DealId,
    [property: Id(1)] Address App,
    [property: Id(2)] Address Dataset,
    [property: Id(3)] Address Requester,
    [property: Id(4)] DateTimeOffset FinalDeadline)
{
    /// <summary>The app version the deal pinned (0: none, the app's current policy applies).</summary>
    [Id(5)]
    public int AppVersion { get; init; }
}

/// <summary>A task's secret record as the admin API shows it.</summary>
[GenerateSerializer, Immutable, Alias("orch.task-secrets-view.v1")]
public sealed record TaskSecretsView(
    [property: Id(0)] Hash32 TaskId,
    [property: Id(1)] TaskSecretTerms? Terms,
    [property: Id(2)] Address EnclaveChallenge,
    [property: Id(3)] IReadOnlyList<SecretAuditEntry> Audit,
    [property: Id(4)] int UnrecordedRefusals);
