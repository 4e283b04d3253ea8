using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results;

/// <summary>A stored result archive's metadata.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Worker">The worker that uploaded it.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">SHA-256 of the bytes.</param>
/// <param name="ContentType">Media type as uploaded (may be empty).</param>
/// <param name="Location">Where it is (a URI of the store).</param>
public sealed record StoredResult(Hash32 TaskId, Address Worker, long Size, Hash32 Sha256, string ContentType, string Location);

/// <summary>Where uploaded result archives live, one per task (the last verified upload wins).</summary>
public interface IResultStore
{
    /// <summary>
    /// Stores an archive whose bytes the caller has already checked against <paramref name="expected"/>'s
    /// size and digest; the archive becomes visible only once complete.
    /// </summary>
    Task<StoredResult> PutAsync(StoredResult expected, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken);

    /// <summary>The stored archive's metadata, or null.</summary>
    Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>Opens the stored archive for reading; null when none.</summary>
    Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken);
}
