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
    /// <summary>True when the upload may proceed.</summary>
    public bool Admitted => Refusal is null;
}
