using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orchestrator.Host.Hosting;

/// <summary>
/// The embedded default's grain storage: state in a dictionary of this process, serialized with
/// Orleans' serializer so a grain never shares mutable objects with the store. Orleans' own memory
/// storage keeps state in system grains, which stop before the last application grains flush on
/// deactivation; every such flush then failed at shutdown ("No active nodes are compatible with grain
/// memorystorage"). A dictionary is there until the process ends, so the last flush succeeds.
/// Same contract as the durable providers: the ETag is a version, a write with a stale ETag changes
/// nothing and raises <see cref="InconsistentStateException"/>. One silo only: each process has its own.
/// </summary>
internal sealed class InProcessGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    // Many grains write at once; the default (one lock per core) made writers of unrelated grains wait on each other.
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Entry> _entries = new(concurrencyLevel: 64, capacity: 1024);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_entries.TryGetValue((stateName, grainId), out var entry))
        {
            grainState.State = serializer.Deserialize<T>(entry.Payload);
            grainState.ETag = Tag(entry.Version);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = serializer.Serialize(grainState.State);
        var version = Swap((stateName, grainId), grainState.ETag, expected => new Entry(payload, expected + 1));
        grainState.ETag = Tag(version);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Swap((stateName, grainId), grainState.ETag, _ => null);
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>Replaces (or, for null, removes) the entry if it still holds the version the grain read.</summary>
    private long Swap((string, GrainId) key, string? etag, Func<long, Entry?> next)
    {
        var expected = etag is null ? 0 : long.Parse(etag, CultureInfo.InvariantCulture);
        while (true)
        {
            var exists = _entries.TryGetValue(key, out var current);
            var stored = exists ? current!.Version : 0;
            if (stored != expected)
            {
                throw new InconsistentStateException(
                    $"Version conflict on state '{key.Item1}' of {key.Item2}: the grain holds ETag {etag ?? "(none)"}, storage holds {Tag(stored) ?? "(none)"}",
                    Tag(stored), etag);
            }

            var replacement = next(expected);
            var swapped = (exists, replacement) switch
            {
                (false, null) => true,
                (false, { } added) => _entries.TryAdd(key, added),
                (true, null) => _entries.TryRemove(new KeyValuePair<(string, GrainId), Entry>(key, current!)),
                (true, { } updated) => _entries.TryUpdate(key, updated, current!),
            };
            if (swapped)
            {
                return replacement?.Version ?? 0;
            }
        }
    }

    private static string? Tag(long version) => version == 0 ? null : version.ToString(CultureInfo.InvariantCulture);

    private sealed record Entry(BinaryData Payload, long Version);
}
