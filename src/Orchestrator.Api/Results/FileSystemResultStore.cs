using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results;

/// <summary>
/// Result archives under <see cref="ApiOptions.ResultDirectory"/>: "&lt;taskId&gt;.bin" and its
/// metadata "&lt;taskId&gt;.json". Written to a temporary name and renamed, so a reader never sees
/// half an archive and a failed upload leaves nothing behind.
/// </summary>
public sealed class FileSystemResultStore(IOptions<ApiOptions> options) : IResultStore
{
    private readonly string _root = Path.GetFullPath(options.Value.ResultDirectory);

    /// <inheritdoc />
    public async Task<StoredResult> PutAsync(StoredResult expected, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        var name = expected.TaskId.ToString();
        var temporary = Path.Combine(_root, $"{name}.{Guid.NewGuid():n}.part");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await writeContent(file, cancellationToken);
            }

            var stored = expected with { Location = new Uri(Path.Combine(_root, name + ".bin")).AbsoluteUri };
            File.Move(temporary, Path.Combine(_root, name + ".bin"), overwrite: true);
            // The metadata is renamed into place too: winners of one task upload concurrently, and a
            // reader must never see a truncated file.
            var metadata = Path.Combine(_root, $"{name}.{Guid.NewGuid():n}.json.part");
            await File.WriteAllTextAsync(metadata, JsonSerializer.Serialize(Metadata.From(stored)), cancellationToken);
            File.Move(metadata, Path.Combine(_root, name + ".json"), overwrite: true);
            return stored;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <inheritdoc />
    public async Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_root, taskId + ".json");
        if (!File.Exists(path))
        {
            return null;
        }

        var metadata = JsonSerializer.Deserialize<Metadata>(await File.ReadAllTextAsync(path, cancellationToken));
        return metadata?.ToResult(taskId);
    }

    /// <inheritdoc />
    public Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_root, taskId + ".bin");
        Stream? stream = File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true) : null;
        return Task.FromResult(stream);
    }

    private sealed record Metadata(string Worker, long Size, string Sha256, string ContentType, string Location)
    {
        public static Metadata From(StoredResult r) => new(r.Worker.ToLowerHex(), r.Size, r.Sha256.ToString(), r.ContentType, r.Location);

        public StoredResult ToResult(Hash32 taskId) => new(taskId, Address.Parse(Worker), Size, Hash32.Parse(Sha256), ContentType, Location);
    }
}
