using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Telemetry;

/// <summary>Tag names and values shared by every component (lowercase, stable: dashboards query them).</summary>
public static class TelemetryTags
{
    /// <summary>A task's status ("unset", "active", "revealing", "completed", "failed").</summary>
    public const string Status = "status";

    /// <summary>A dispatch partition's key ("class/shard").</summary>
    public const string Partition = "partition";

    /// <summary>A consensus outcome ("reached", "reopened", "tee").</summary>
    public const string Outcome = "outcome";

    /// <summary>The result of a call ("accepted", or the refusal code).</summary>
    public const string Result = "result";

    /// <summary>A worker's connection state ("connected", "draining").</summary>
    public const string State = "state";

    /// <summary>An attestation verdict ("accepted", "rejected").</summary>
    public const string Verdict = "verdict";

    /// <summary>A TEE kind ("sgx", "tdx", "simulated", "none").</summary>
    public const string Tee = "tee";

    /// <summary>Why something was refused (a short code, never free text: it is a metric label).</summary>
    public const string Reason = "reason";

    /// <summary>What a chain transaction did ("finalize", "contribute", ...).</summary>
    public const string Operation = "operation";

    /// <summary>An integration event's type.</summary>
    public const string Event = "event";

    /// <summary>Span attribute: the task id (0x-hex).</summary>
    public const string TaskId = "orchestrator.task.id";

    /// <summary>Span attribute: the deal id (0x-hex).</summary>
    public const string DealId = "orchestrator.deal.id";

    /// <summary>Span attribute: the worker address (0x-hex).</summary>
    public const string Worker = "orchestrator.worker";

    /// <summary>The status tag value of a task status, without allocating.</summary>
    public static string StatusName(TaskStatus status) => status switch
    {
        TaskStatus.Unset => "unset",
        TaskStatus.Active => "active",
        TaskStatus.Revealing => "revealing",
        TaskStatus.Completed => "completed",
        TaskStatus.Failed => "failed",
        _ => "other",
    };
}
