using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Chain.Reorgs;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Storage;

/// <summary>
/// The stored form of a <see cref="ListenerCursor"/>'s history (column <c>bridge_cursors.history</c>,
/// migration V10): hashes and ids as 0x-hex strings, so an operator can read the row. The block number
/// itself lives in <c>block_number</c>, which an operator may move on its own.
/// </summary>
public static class ListenerCursorJson
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The history of <paramref name="cursor"/> as JSON.</summary>
    public static string Write(ListenerCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        var stored = new Stored(
            cursor.OldestHashed,
            [.. cursor.Hashes.Select(h => h.ToString())],
            [.. cursor.Seen.Select(s => new StoredLog(s.Id.ToString(), s.Block))],
            [.. cursor.Orphans.Select(s => new StoredLog(s.Id.ToString(), s.Block))],
            cursor.ReconcileThrough);
        return JsonSerializer.Serialize(stored, Options);
    }

    /// <summary>The cursor at <paramref name="block"/> with the history read back (made consistent with the block when it was moved alone).</summary>
    public static ListenerCursor Read(long block, string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return ListenerCursor.At(block);
        }

        var stored = JsonSerializer.Deserialize<Stored>(json, Options) ?? throw new FormatException("bridge_cursors.history is JSON null");
        var cursor = new ListenerCursor
        {
            Block = stored.HashesFrom + stored.Hashes.Count - 1,
            Hashes = [.. stored.Hashes.Select(Hash32.Parse)],
            Seen = [.. stored.Seen.Select(s => new SeenLog(Hash32.Parse(s.Id), s.Block))],
            Orphans = [.. stored.Orphans.Select(s => new SeenLog(Hash32.Parse(s.Id), s.Block))],
            ReconcileThrough = stored.ReconcileThrough,
        };
        return cursor.MovedTo(block);
    }

    private sealed record Stored(
        [property: JsonPropertyName("hashesFrom")] long HashesFrom,
        [property: JsonPropertyName("hashes")] List<string> Hashes,
        [property: JsonPropertyName("seen")] List<StoredLog> Seen,
        [property: JsonPropertyName("orphans")] List<StoredLog> Orphans,
        [property: JsonPropertyName("reconcileThrough")] long? ReconcileThrough);

    private sealed record StoredLog([property: JsonPropertyName("id")] string Id, [property: JsonPropertyName("block")] long Block);
}
