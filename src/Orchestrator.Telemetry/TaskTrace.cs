using System.Diagnostics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Telemetry;

/// <summary>
/// One trace per task, on every silo and in every process, without carrying anything: the trace id is
/// the first 16 bytes of the task id (which is a Keccak-256 hash, so as random as a generated one), and
/// every span about the task is a child of a virtual root whose span id is the next 8 bytes. A task
/// grain reactivated on another silo, the worker agent, the bus and the bridge all land in the same
/// trace, and an operator finds a task's trace by pasting the first 32 hex digits of its id. A deal's
/// own spans use the same rule with the deal id; task spans link to their deal's trace.
/// </summary>
public static class TaskTrace
{
    /// <summary>The trace context of everything about one task (or one deal).</summary>
    public static ActivityContext ContextOf(Hash32 id)
    {
        Span<byte> bytes = stackalloc byte[32];
        id.CopyTo(bytes);
        return new ActivityContext(
            ActivityTraceId.CreateFromBytes(bytes[..16]),
            ActivitySpanId.CreateFromBytes(bytes.Slice(16, 8)),
            ActivityTraceFlags.Recorded,
            isRemote: true);
    }

    /// <summary>The trace id of a task (or deal), as the 32 hex digits tracing back ends search for.</summary>
    public static string TraceIdOf(Hash32 id) => ContextOf(id).TraceId.ToHexString();

    /// <summary>
    /// Starts a span in the task's trace, linked to the caller's current span (the worker's poll, a
    /// gRPC request) so both traces lead to each other. Returns null when nobody listens (no cost).
    /// </summary>
    public static Activity? Start(ActivitySource source, string name, Hash32 taskId, ActivityKind kind = ActivityKind.Internal)
    {
        if (!source.HasListeners())
        {
            return null;
        }

        var caller = Activity.Current;
        var context = ContextOf(taskId);
        ActivityLink[]? links = caller is not null && caller.TraceId != context.TraceId ? [new ActivityLink(caller.Context)] : null;
        var activity = source.StartActivity(name, kind, context, links: links);
        activity?.SetTag(TelemetryTags.TaskId, taskId.ToString());
        return activity;
    }
}
