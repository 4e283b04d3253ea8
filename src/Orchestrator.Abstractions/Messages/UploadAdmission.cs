using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Abstractions.Messages;

/// <summary>The task grain's answer to "may this worker upload the task's result, and which?".</summary>
/// <param name="Refusal">Null when admitted; else why not (the rule it names).</param>
/// <param name="Message">The refusal's one-line message (empty when admitted).</param>
/// <param name="Status">The task's status when it answered.</param>
/// <param name="ConsensusDigest">When admitted: the result digest the uploaded archive must carry.</param>
[GenerateSerializer, Immutable, Alias("orch.upload-admission.v1")]
public sealed record UploadAdmission(
    [property: Id(0)] UploadRefusalCode? Refusal,
    [property: Id(1)] string Message,
    [property: Id(2)] TaskStatus Status,
    [property: Id(3)] Hash32? ConsensusDigest)
{
    /// <summary>True when the deal names a beneficiary key: only archives encrypted for it are accepted.</summary>
    [Id(4)]
    public bool EncryptedForBeneficiary { get; init; }

    /// <summary>True when the upload may proceed.</summary>
    public bool Admitted => Refusal is null;
}

/// <summary>What a requester's download is checked against (<see cref="Grains.ITaskGrain.GetResultTermsAsync"/>).</summary>
/// <param name="Exists">False when the task is unknown to this pool.</param>
/// <param name="Requester">The deal's requester.</param>
/// <param name="BeneficiaryKey">The deal's beneficiary public key (64 bytes), or null.</param>
/// <param name="Status">The task's status.</param>
/// <param name="ResultDigest">The consensus digest once the task COMPLETED.</param>
[GenerateSerializer, Immutable, Alias("orch.result-terms.v1")]
public sealed record ResultTerms(
    [property: Id(0)] bool Exists,
    [property: Id(1)] Address Requester,
    [property: Id(2)] byte[]? BeneficiaryKey,
    [property: Id(3)] TaskStatus Status,
    [property: Id(4)] Hash32? ResultDigest);
