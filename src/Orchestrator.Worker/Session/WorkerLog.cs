using Microsoft.Extensions.Logging;

namespace Orchestrator.Worker.Session;

/// <summary>The agent's log messages (source-generated).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "connecting to {Server} as {Worker}")]
    public static partial void Connecting(ILogger logger, string server, string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "session {SessionId} open: score {Score}, {Resumed} replicates resumed, heartbeat every {Interval}")]
    public static partial void Welcomed(ILogger logger, string sessionId, int score, int resumed, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "session lost ({Reason}); reconnecting in {Delay}")]
    public static partial void SessionLost(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Critical, Message = "the server refused this worker: {Status}: {Detail}")]
    public static partial void Refused(ILogger logger, string status, string detail);

    [LoggerMessage(Level = LogLevel.Critical, Message = "the trusted runner could not start, so no session can attest: {Reason}")]
    public static partial void NoEnclave(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: assigned (app {App}, trust {Trust}{Resumed})")]
    public static partial void Assigned(ILogger logger, string taskId, string app, int trust, string resumed);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: already computed (journal), contributing digest {Digest} without running again")]
    public static partial void FromJournal(ILogger logger, string taskId, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: computed in {Duration}, digest {Digest}")]
    public static partial void Computed(ILogger logger, string taskId, TimeSpan duration, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: giving it back: {Reason}")]
    public static partial void GivingBack(ILogger logger, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: {Call} accepted (status {Status})")]
    public static partial void Accepted(ILogger logger, string taskId, string call, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: {Call} refused: {Refusal}: {Message}")]
    public static partial void CallRefused(ILogger logger, string taskId, string call, string refusal, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: result uploaded ({Size} bytes) to {Location}")]
    public static partial void Uploaded(ILogger logger, string taskId, long size, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: result upload failed: {Reason}")]
    public static partial void UploadFailed(ILogger logger, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: cancelled by the server: {Reason}")]
    public static partial void Cancelled(ILogger logger, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: failed: {Error}")]
    public static partial void ReplicateFailed(ILogger logger, string taskId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: reveal requested but this worker has no journaled digest for it")]
    public static partial void NothingToReveal(ILogger logger, string taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "draining: {Reason}")]
    public static partial void Draining(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "drained: {Finished} replicates finished, {GivenBack} given back; exiting")]
    public static partial void Drained(ILogger logger, int finished, int givenBack);

    [LoggerMessage(Level = LogLevel.Information, Message = "re-attested: a new quote over the server's challenge sent (due by {Deadline})")]
    public static partial void Reattested(ILogger logger, DateTimeOffset deadline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ignoring a server message: {Reason}")]
    public static partial void Ignored(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId}: the secret service released its enclave key and {Secrets} secrets to enclave session {SessionId}")]
    public static partial void SecretsReleased(ILogger logger, string taskId, int secrets, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: no TEE secrets for it: {Reason}")]
    public static partial void SecretsRefused(ILogger logger, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "session proof: {Mismatch}")]
    public static partial void PoolMismatch(ILogger logger, string mismatch);
}
