using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results;

/// <summary>A stored result archive's (or logs object's) metadata.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Worker">The worker that uploaded it.</param>
/// <param name="Size">Bytes stored.</param>
/// <param name="Sha256">SHA-256 of the stored bytes (the ciphertext when <see cref="Encryption"/> is set).</param>
/// <param name="ContentType">Media type as uploaded (may be empty).</param>
/// <param name="Location">Where it is (a URI of the store).</param>
public sealed record StoredResult(Hash32 TaskId, Address Worker, long Size, Hash32 Sha256, string ContentType, string Location)
{
    private readonly Hash32 _resultDigest;

    /// <summary>
    /// The task's consensus digest of the PLAINTEXT archive; equal to <see cref="Sha256"/> when not
    /// encrypted (left unset, it reads as <see cref="Sha256"/>).
    /// </summary>
    public Hash32 ResultDigest
    {
        get => _resultDigest.IsZero ? Sha256 : _resultDigest;
        init => _resultDigest = value;
    }

    /// <summary>"" for plaintext; "ecies-secp256k1-aes256gcm-v1" when encrypted for the deal's beneficiary.</summary>
    public string Encryption { get; init; } = "";

    /// <summary>When the store wrote it (set by the store).</summary>
    public DateTimeOffset StoredAt { get; init; }

    /// <summary>When the retention sweep deleted the bytes; the metadata stays as a tombstone. Null while the bytes exist.</summary>
    public DateTimeOffset? ExpiredAt { get; init; }
}

/// <summary>What <see cref="IResultStore.AddAsync"/> (or <see cref="IResultStore.AddLogsAsync"/>) did.</summary>
/// <param name="Result">The stored object: the one just written, or the one that was already there.</param>
/// <param name="Created">True when this call stored it; false when it already existed and nothing was written.</param>
public sealed record ResultAddition(StoredResult Result, bool Created);

/// <summary>What one retention sweep deleted.</summary>
/// <param name="Results">Result archives whose bytes were deleted (their tombstones stay).</param>
/// <param name="Logs">Logs objects whose bytes were deleted (their tombstones stay).</param>
/// <param name="Bytes">Bytes freed.</param>
public sealed record ResultSweep(int Results, int Logs, long Bytes)
{
    /// <summary>Objects deleted, results and logs together.</summary>
    public int Objects => Results + Logs;
}

/// <summary>
/// Where result archives live: at most one per task, written once and never replaced, and beside them
/// at most one logs object per (task, uploading worker). Every backend must make the bytes and their
/// metadata appear together and only once complete (one transaction, one object with its metadata, or
/// one rename), and must let exactly one of two concurrent adds win.
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

    /// <summary>The stored archive's metadata (a tombstone, with <see cref="StoredResult.ExpiredAt"/>, after retention), or null.</summary>
    Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>Opens the stored archive for reading; null when none or expired.</summary>
    Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>
    /// Drops a task's stored archive: a candidate uploaded while the task was revealing whose task then
    /// FAILED. Never called for a COMPLETED task, whose result never changes.
    /// </summary>
    Task DropAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the logs of <paramref name="expected"/>'s task uploaded by <paramref name="expected"/>'s worker,
    /// unless that worker already stored some (the first is kept); atomic like <see cref="AddAsync"/>, and
    /// <paramref name="writeContent"/> throwing stores nothing.
    /// </summary>
    Task<ResultAddition> AddLogsAsync(StoredResult expected, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken);

    /// <summary>The task's logs objects, one per uploading worker (tombstones included), ordered by worker.</summary>
    Task<IReadOnlyList<StoredResult>> ListLogsAsync(Hash32 taskId, CancellationToken cancellationToken);

    /// <summary>Opens the logs <paramref name="worker"/> uploaded for the task; null when none or expired.</summary>
    Task<Stream?> OpenLogsAsync(Hash32 taskId, Address worker, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the bytes of results and logs stored before <paramref name="storedBefore"/> (at most
    /// <paramref name="maxObjects"/> objects per call, oldest first where the backend can order them),
    /// leaving each one's metadata as a tombstone with <see cref="StoredResult.ExpiredAt"/> set.
    /// </summary>
    Task<ResultSweep> DeleteExpiredAsync(DateTimeOffset storedBefore, int maxObjects, CancellationToken cancellationToken);
}
