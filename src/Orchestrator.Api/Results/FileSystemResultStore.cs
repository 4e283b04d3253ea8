using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results;

/// <summary>
/// Result archives under <see cref="ApiOptions.ResultDirectory"/> (the embedded dev store), one
/// directory per task: "&lt;taskId&gt;/archive.bin" and its metadata "&lt;taskId&gt;/result.json".
/// </summary>
/// <remarks>
/// An upload is written, with its metadata, into a fresh staging directory under ".partial/", both
/// files flushed to disk, and the directory is then renamed to "&lt;taskId&gt;". rename(2) is atomic
/// and refuses to replace a non-empty directory, so a reader sees a whole result or none, a crash
/// mid-upload leaves only staging debris (never a result), and of two concurrent uploads exactly one
/// rename wins while the other finds the result already there. Staging debris a crashed process left
/// is swept at the first upload after a start, once it is older than <see cref="AbandonedAfter"/>.
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

    /// <inheritdoc />
    public async Task<ResultAddition> AddAsync(
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 0)
        {
            SweepAbandonedStaging();
        }

        var final = TaskDirectory(expected.TaskId);
        if (await FindAsync(expected.TaskId, cancellationToken) is { } existing)
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

            var stored = expected with { Location = new Uri(Path.Combine(final, ArchiveName)).AbsoluteUri };
            await using (var metadata = new FileStream(Path.Combine(staging, MetadataName), FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            {
                await JsonSerializer.SerializeAsync(metadata, Metadata.From(stored), cancellationToken: cancellationToken);
                metadata.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // The one step that makes the result exist. Without an fsync of the parent directory a
                // power loss may undo it: then there is no result, never a mix of two.
                Directory.Move(staging, final);
                return new ResultAddition(stored, Created: true);
            }
            catch (IOException) when (Directory.Exists(final))
            {
                // Another upload's rename came first: its result stands.
                var winner = await FindAsync(expected.TaskId, CancellationToken.None)
                    ?? throw new IOException($"the result of task {expected.TaskId} exists without its metadata");
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
    public async Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(TaskDirectory(taskId), MetadataName);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            var metadata = await JsonSerializer.DeserializeAsync<Metadata>(file, cancellationToken: cancellationToken);
            return metadata?.ToResult(taskId);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(TaskDirectory(taskId), ArchiveName);
        Stream? stream = File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true) : null;
        return Task.FromResult(stream);
    }

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

    private string TaskDirectory(Hash32 taskId) => Path.Combine(_root, taskId.ToString());

    private sealed record Metadata(string Worker, long Size, string Sha256, string ContentType, string Location)
    {
        public static Metadata From(StoredResult r) => new(r.Worker.ToLowerHex(), r.Size, r.Sha256.ToString(), r.ContentType, r.Location);

        public StoredResult ToResult(Hash32 taskId) => new(taskId, Address.Parse(Worker), Size, Hash32.Parse(Sha256), ContentType, Location);
    }
}
