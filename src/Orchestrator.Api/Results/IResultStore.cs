using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results;

/// <summary>A stored result archive's metadata.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Worker">The worker that uploaded it.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">SHA-256 of the bytes (the task's consensus digest).</param>
/// <param name="ContentType">Media type as uploaded (may be empty).</param>
/// <param name="Location">Where it is (a URI of the store).</param>
public sealed record StoredResult(Hash32 TaskId, Address Worker, long Size, Hash32 Sha256, string ContentType, string Location);

/// <summary>What <see cref="IResultStore.AddAsync"/> did.</summary>
/// <param name="Result">The task's stored result: the one just written, or the one that was already there.</param>
/// <param name="Created">True when this call stored it; false when the task already had a result and nothing was written.</param>
public sealed record ResultAddition(StoredResult Result, bool Created);

/// <summary>
/// Where result archives live: at most one per task, written once and never replaced. Every backend
/// must make an archive and its metadata appear together and only once complete (one transaction,
/// one object with its metadata, or one rename), and must let exactly one of two concurrent adds win.
/// </summary>
public interface IResultStore
{
    /// <summary>
    /// Stores the task's archive unless it already has one. The bytes come from
    /// <paramref name="writeContent"/>, which throws when they do not match <paramref name="expected"/>'s
    /// size and digest; then <paramref name="verifyContent"/> reads the staged bytes back (for the
    /// result digest of an archive with a deterministic-output-path) and throws to refuse them. Either
    /// throwing stores nothing. Who may add is decided before (the task grain).
    /// </summary>
    Task<ResultAddition> AddAsync(
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken);

    /// <summary>The stored archive's metadata, or null.</summary>
    Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>Opens the stored archive for reading; null when none.</summary>
    Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>
    /// Drops a task's stored archive: a candidate uploaded while the task was revealing whose task then
    /// FAILED. Never called for a COMPLETED task, whose result never changes.
    /// </summary>
    Task DropAsync(Hash32 taskId, CancellationToken cancellationToken);
}
