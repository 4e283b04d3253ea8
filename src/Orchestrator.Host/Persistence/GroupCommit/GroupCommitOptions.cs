using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>Tuning of the group-commit grain storage (section "Orchestrator:GroupCommit").</summary>
public sealed class GroupCommitOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:GroupCommit";

    /// <summary>
    /// Round trips in flight at once. Each takes everything queued when it starts, so at low load an
    /// operation goes out alone at once, and under load many share one commit.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Orchestrator:GroupCommit:Flushers must be between 1 and 64")]
    public int Flushers { get; set; } = 4;

    /// <summary>The most operations one round trip carries.</summary>
    [Range(1, 10_000, ErrorMessage = "Orchestrator:GroupCommit:MaxBatch must be between 1 and 10000")]
    public int MaxBatch { get; set; } = 256;
}
