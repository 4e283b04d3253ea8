using Orchestrator.Abstractions.Messages;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// The evidence behind a worker's current verdict (state name "worker-evidence"), kept so new collateral can
/// judge the same quote again at once, and the last change of the worker's TEE standing an operator reads.
/// Apart from the worker's state: a quote is kilobytes, written only when the verdict changes, never on the
/// hot path of hand-outs and contributions.
/// </summary>
[GenerateSerializer, Alias("orch.state.worker-evidence.v1")]
public sealed class KeptEvidenceState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;

    /// <summary>The evidence of the current verdict (null for a worker without TEE evidence).</summary>
    [Id(1)] public WorkerEvidence? Evidence { get; set; }

    /// <summary>The last change of the worker's TEE standing, in a sentence (empty when none yet).</summary>
    [Id(2)] public string LastChange { get; set; } = string.Empty;
}
