using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results;

/// <summary>
/// Result archives under <see cref="ApiOptions.ResultDirectory"/> (the embedded dev store), one
/// directory per task: "&lt;taskId&gt;/archive.bin" and its metadata "&lt;taskId&gt;/result.json"; a
/// worker's logs likewise under "logs/&lt;taskId&gt;/&lt;worker&gt;/".
/// </summary>
/// <remarks>
/// An upload is written, with its metadata, into a fresh staging directory under ".partial/", both
/// files flushed to disk, and the directory is then renamed to its final name. rename(2) is atomic
/// and refuses to replace a non-empty directory, so a reader sees a whole object or none, a crash
/// mid-upload leaves only staging debris (never a result), and of two concurrent uploads exactly one
/// rename wins while the other finds the object already there. Staging debris a crashed process left
/// is swept at the first upload after a start, once it is older than <see cref="AbandonedAfter"/>.
/// Retention replaces the metadata by a tombstone (one rename) and then deletes the bytes.
/// This store is local to one silo: it is meant for the embedded dev configuration only.
/// </remarks>
public sealed class FileSystemResultStore(IOptions<ApiOptions> options, TimeProvider time) : IResultStore
{
    /// <summary>How old a staging directory must be to count as a crashed upload's (no live upload takes this long).</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private const string ArchiveName = "archive.bin";
    private const string MetadataName = "result.json";
    private readonly string _root = Path.GetFullPath(options.Value.ResultDirectory);
    private int _swept;

    private string Staging => Path.Combine(_root, ".partial");

    private string LogsRoot => Path.Combine(_root, "logs");

    /// <inheritdoc />
    public Task<ResultAddition> AddAsync(
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
        => AddObjectAsync(TaskDirectory(expected.TaskId), expected, writeContent, verifyContent, cancellationToken);

    /// <inheritdoc />
    public Task<ResultAddition> AddLogsAsync(StoredResult expected, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
        => AddObjectAsync(LogsDirectory(expected.TaskId, expected.Worker), expected, writeContent, static (_, _) => Task.CompletedTask, cancellationToken);

    /// <summary>Deletes staging directories older than <see cref="AbandonedAfter"/>; returns how many.</summary>
    public int SweepAbandonedStaging()
    {
        if (!Directory.Exists(Staging))
        {
            return 0;
        }

        var cutoff = time.GetUtcNow().UtcDateTime - AbandonedAfter;
        var swept = 0;
        foreach (var directory in new DirectoryInfo(Staging).EnumerateDirectories())
        {
            if (directory.LastWriteTimeUtc < cutoff)
            {
                try
                {
                    directory.Delete(recursive: true);
                    swept++;
                }
                catch (IOException)
                {
                    // another process swept it first
                }
            }
        }

        return swept;
    }

    /// <inheritdoc />
    public Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken)
        => ReadMetadataAsync(TaskDirectory(taskId), taskId, cancellationToken);

    /// <inheritdoc />
    public Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken)
        => Task.FromResult(OpenArchive(TaskDirectory(taskId)));

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResult>> ListLogsAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(LogsRoot, taskId.ToString());
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var found = new List<StoredResult>();
        foreach (var worker in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            if (await ReadMetadataAsync(worker, taskId, cancellationToken) is { } logs)
            {
                found.Add(logs);
            }
        }

        return found;
    }

    /// <inheritdoc />
    public Task<Stream?> OpenLogsAsync(Hash32 taskId, Address worker, CancellationToken cancellationToken)
        => Task.FromResult(OpenArchive(LogsDirectory(taskId, worker)));

    /// <inheritdoc />
    public Task DropAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var final = TaskDirectory(taskId);
        if (!Directory.Exists(final))
        {
            return Task.CompletedTask;
        }

        // Renamed away first, so the result disappears in one step rather than file by file.
        Directory.CreateDirectory(Staging);
        var doomed = Path.Combine(Staging, $"{taskId}.dropped.{Guid.NewGuid():n}");
        try
        {
            Directory.Move(final, doomed);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask; // dropped concurrently
        }

        Directory.Delete(doomed, recursive: true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<ResultSweep> DeleteExpiredAsync(DateTimeOffset storedBefore, int maxObjects, CancellationToken cancellationToken)
    {
        int results = 0, logs = 0;
        long bytes = 0;
        var now = StoreClock.Now(time);
        foreach (var (directory, taskId, isLogs) in StoredDirectories())
        {
            if (results + logs >= maxObjects)
            {
                break;
            }

            var freed = await ExpireAsync(directory, taskId, storedBefore, now, cancellationToken);
            if (freed is { } size)
            {
                bytes += size;
                if (isLogs)
                {
                    logs++;
                }
                else
                {
                    results++;
                }
            }
        }

        return new ResultSweep(results, logs, bytes);
    }

    private async Task<ResultAddition> AddObjectAsync(
        string final,
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 0)
        {
            SweepAbandonedStaging();
        }

        if (await ReadMetadataAsync(final, expected.TaskId, cancellationToken) is { } existing)
        {
            return new ResultAddition(existing, Created: false);
        }

        var staging = Path.Combine(Staging, $"{expected.TaskId}.{Guid.NewGuid():n}");
        Directory.CreateDirectory(staging);
        try
        {
            var archive = Path.Combine(staging, ArchiveName);
            await using (var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await writeContent(file, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            await using (var staged = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            {
                await verifyContent(staged, cancellationToken);
            }

            // The size is what was written: a logs writer may not know it before (the receiver checks archives' sizes itself).
            var stored = StoreClock.Stamp(expected with { Size = new FileInfo(archive).Length }, new Uri(Path.Combine(final, ArchiveName)).AbsoluteUri, StoreClock.Now(time));
            await WriteMetadataAsync(Path.Combine(staging, MetadataName), stored, cancellationToken);

            cancellationToken.ThrowIfCancellationRequested();
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            try
            {
                // The one step that makes the object exist. Without an fsync of the parent directory a
                // power loss may undo it: then there is no object, never a mix of two.
                Directory.Move(staging, final);
                return new ResultAddition(stored, Created: true);
            }
            catch (IOException) when (Directory.Exists(final))
            {
                // Another upload's rename came first: its object stands.
                var winner = await ReadMetadataAsync(final, expected.TaskId, CancellationToken.None)
                    ?? throw new IOException($"the stored object at {final} exists without its metadata");
                return new ResultAddition(winner, Created: false);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Turns one object into a tombstone when it was stored before the cutoff; returns the bytes freed, or null.</summary>
    private static async Task<long?> ExpireAsync(string directory, Hash32 taskId, DateTimeOffset storedBefore, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var archive = Path.Combine(directory, ArchiveName);
        if (!File.Exists(archive) || await ReadMetadataAsync(directory, taskId, cancellationToken) is not { ExpiredAt: null } stored || stored.StoredAt >= storedBefore)
        {
            return null;
        }

        // The tombstone replaces the metadata in one rename before the bytes go: a reader sees the
        // result or the tombstone, and a crash in between leaves bytes a later sweep still finds.
        var tombstone = Path.Combine(directory, $"{MetadataName}.{Guid.NewGuid():n}.tmp");
        await WriteMetadataAsync(tombstone, stored with { ExpiredAt = now }, cancellationToken);
        File.Move(tombstone, Path.Combine(directory, MetadataName), overwrite: true);
        var size = new FileInfo(archive).Length;
        File.Delete(archive);
        return size;
    }

    private IEnumerable<(string Directory, Hash32 TaskId, bool IsLogs)> StoredDirectories()
    {
        if (!Directory.Exists(_root))
        {
            yield break;
        }

        foreach (var task in Directory.EnumerateDirectories(_root, "0x*"))
        {
            if (Hash32.TryParse(Path.GetFileName(task), out var taskId, out _))
            {
                yield return (task, taskId, false);
            }
        }

        if (!Directory.Exists(LogsRoot))
        {
            yield break;
        }

        foreach (var task in Directory.EnumerateDirectories(LogsRoot, "0x*"))
        {
            if (!Hash32.TryParse(Path.GetFileName(task), out var taskId, out _))
            {
                continue;
            }

            foreach (var worker in Directory.EnumerateDirectories(task, "0x*"))
            {
                yield return (worker, taskId, true);
            }
        }
    }

    private static Stream? OpenArchive(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, ArchiveName), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static async Task WriteMetadataAsync(string path, StoredResult stored, CancellationToken cancellationToken)
    {
        await using var metadata = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true);
        await JsonSerializer.SerializeAsync(metadata, Metadata.From(stored), cancellationToken: cancellationToken);
        metadata.Flush(flushToDisk: true);
    }

    /// <summary>Reads an object's metadata, or null.</summary>
    private static async Task<StoredResult?> ReadMetadataAsync(string directory, Hash32 taskId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, MetadataName);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, useAsync: true);
            var metadata = await JsonSerializer.DeserializeAsync<Metadata>(file, cancellationToken: cancellationToken);
            return metadata?.ToResult(taskId, File.GetLastWriteTimeUtc(path));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private string TaskDirectory(Hash32 taskId) => Path.Combine(_root, taskId.ToString());

    private string LogsDirectory(Hash32 taskId, Address worker) => Path.Combine(LogsRoot, taskId.ToString(), worker.ToLowerHex());

    /// <summary>The metadata file; fields added later are optional so results stored before them still read.</summary>
    private sealed record Metadata(
        string Worker,
        long Size,
        string Sha256,
        string ContentType,
        string Location,
        string? ResultDigest = null,
        string? Encryption = null,
        DateTimeOffset? StoredAt = null,
        DateTimeOffset? ExpiredAt = null)
    {
        public static Metadata From(StoredResult r)
            => new(r.Worker.ToLowerHex(), r.Size, r.Sha256.ToString(), r.ContentType, r.Location, r.ResultDigest.ToString(), r.Encryption, r.StoredAt, r.ExpiredAt);

        public StoredResult ToResult(Hash32 taskId, DateTime writtenUtc)
        {
            var sha256 = Hash32.Parse(Sha256);
            return new StoredResult(taskId, Address.Parse(Worker), Size, sha256, ContentType, Location)
            {
                ResultDigest = ResultDigest is null ? sha256 : Hash32.Parse(ResultDigest),
                Encryption = Encryption ?? "",
                // A result stored before StoredAt was recorded counts from its metadata file's time.
                StoredAt = StoredAt ?? new DateTimeOffset(writtenUtc, TimeSpan.Zero),
                ExpiredAt = ExpiredAt,
            };
        }
    }
}
