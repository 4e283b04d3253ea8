using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Worker.Session;

/// <summary>How far a replicate got on this worker.</summary>
public enum JournalStage
{
    /// <summary>The app ran; its digest and archive are on disk.</summary>
    Computed = 0,

    /// <summary>The contribution was accepted.</summary>
    Contributed = 1,

    /// <summary>The reveal was accepted.</summary>
    Revealed = 2,
}

/// <summary>One replicate's record.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Stage">How far it got.</param>
/// <param name="ResultDigest">The digest computed.</param>
/// <param name="ArchivePath">The result archive.</param>
/// <param name="Uploaded">Whether the result was uploaded.</param>
/// <param name="FinalDeadline">The task's final deadline: past it the record is of no use and is pruned.</param>
/// <param name="CallbackData">On a callback deal, the app's callback data (0x-hex) whose keccak256 is <paramref name="ResultDigest"/>; null otherwise.</param>
public sealed record JournalEntry(string TaskId, JournalStage Stage, string ResultDigest, string? ArchivePath, bool Uploaded = false, DateTimeOffset? FinalDeadline = null, string? CallbackData = null)
{
    /// <summary>How <see cref="ArchivePath"/> is encrypted: empty in clear, else the label of the upload header.</summary>
    public string Encryption { get; init; } = string.Empty;

    /// <summary>The app's logs package to upload after the result (null when none), encrypted as <see cref="LogsEncryption"/> says.</summary>
    public string? LogsPath { get; init; }

    /// <summary>How <see cref="LogsPath"/> is encrypted: empty in clear.</summary>
    public string LogsEncryption { get; init; } = string.Empty;

    /// <summary>The callback data's bytes, or null.</summary>
    [JsonIgnore]
    public byte[]? CallbackBytes => CallbackData is null ? null : Hex.Decode(CallbackData);

    /// <summary>The digest as a hash.</summary>
    [JsonIgnore]
    public Hash32 Digest => Hash32.Parse(ResultDigest);
}

/// <summary>
/// A small journal in the scratch directory (one JSON file per replicate, written to a temporary
/// file then renamed, so a crash leaves the old record or the new, never half of one). A resumed
/// session, or a restarted agent, that gets back a replicate it already computed contributes the
/// journaled digest instead of running the app again. Entries go when the task is over for this worker.
/// </summary>
public sealed class TaskJournal
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private readonly string _directory;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating) the journal under <paramref name="scratchDirectory"/>.</summary>
    public TaskJournal(string scratchDirectory)
    {
        _directory = Path.Combine(Path.GetFullPath(scratchDirectory), "journal");
        Directory.CreateDirectory(_directory);
        foreach (var stale in Directory.EnumerateFiles(_directory, "*.tmp"))
        {
            File.Delete(stale); // a write interrupted before its rename
        }
    }

    /// <summary>The record of a task, if any (an unreadable record counts as none: the task is run again).</summary>
    public JournalEntry? Find(Hash32 taskId)
    {
        var path = PathOf(taskId);
        lock (_gate)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                var entry = JsonSerializer.Deserialize<JournalEntry>(File.ReadAllBytes(path), Json);
                return entry is not null && entry.TaskId == taskId.ToString() && Hash32.TryParse(entry.ResultDigest, out _, out _) ? entry : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>Writes (replaces) the record of a task, durably.</summary>
    public void Record(JournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var taskId = Hash32.Parse(entry.TaskId);
        var path = PathOf(taskId);
        var temporary = path + "." + Guid.NewGuid().ToString("n") + ".tmp";
        lock (_gate)
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(file, entry, Json);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>Moves a task's record to a later stage (no-op when there is none).</summary>
    public void Advance(Hash32 taskId, JournalStage stage, bool? uploaded = null)
    {
        if (Find(taskId) is { } entry)
        {
            Record(entry with { Stage = stage > entry.Stage ? stage : entry.Stage, Uploaded = uploaded ?? entry.Uploaded });
        }
    }

    /// <summary>Forgets a task.</summary>
    public void Remove(Hash32 taskId)
    {
        lock (_gate)
        {
            File.Delete(PathOf(taskId));
        }
    }

    /// <summary>Every task recorded.</summary>
    public IReadOnlyList<Hash32> Tasks()
    {
        lock (_gate)
        {
            return [.. Directory.EnumerateFiles(_directory, "0x*.json")
                .Select(f => Hash32.TryParse(Path.GetFileNameWithoutExtension(f), out var id, out _) ? id : (Hash32?)null)
                .Where(id => id is not null).Select(id => id!.Value)];
        }
    }

    /// <summary>Removes the records of tasks past their final deadline (nothing can be done for them any more).</summary>
    public int Prune(DateTimeOffset now)
    {
        var pruned = 0;
        foreach (var taskId in Tasks())
        {
            if (Find(taskId) is { FinalDeadline: { } deadline } && deadline < now)
            {
                Remove(taskId);
                pruned++;
            }
        }

        return pruned;
    }

    private string PathOf(Hash32 taskId) => Path.Combine(_directory, taskId.ToString() + ".json");
}
