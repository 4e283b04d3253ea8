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
    // One slot per state, added on its first write and kept (a cleared state is an empty slot): a write then locks only
    // its own slot. Replacing dictionary entries instead cost a node per write and, as tasks kept adding states, every
    // writer waited while the table grew under all its locks (a fifth of a trust-1 lifecycle's silo CPU).
    // The slots are spread over stripes by grain: each new task adds a slot, and a table that grows copies every entry
    // under all its locks while every other writer spins; a stripe's growth copies and blocks a sixteenth of them.
    private const int StripeCount = 16;
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Slot>[] _stripes =
        [.. Enumerable.Range(0, StripeCount).Select(_ => new ConcurrentDictionary<(string State, GrainId Grain), Slot>(concurrencyLevel: 16, capacity: 1024))];

    private ConcurrentDictionary<(string State, GrainId Grain), Slot> StripeOf(GrainId grainId) => _stripes[grainId.GetUniformHashCode() % StripeCount];

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var (payload, version) = StripeOf(grainId).TryGetValue((stateName, grainId), out var slot) ? slot.Read() : (null, 0);
        grainState.State = payload is null ? Activator.CreateInstance<T>() : serializer.Deserialize<T>(payload);
        grainState.ETag = Tag(version);
        grainState.RecordExists = payload is not null;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = serializer.Serialize(grainState.State);
        var slot = StripeOf(grainId).GetOrAdd((stateName, grainId), static _ => new Slot());
        grainState.ETag = Tag(slot.Swap(stateName, grainId, grainState.ETag, payload));
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        long version = 0;
        if (StripeOf(grainId).TryGetValue((stateName, grainId), out var slot))
        {
            version = slot.Swap(stateName, grainId, grainState.ETag, null);
        }
        else if (grainState.ETag is not null)
        {
            throw Conflict(stateName, grainId, grainState.ETag, 0);
        }

        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = Tag(version);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string? Tag(long version) => version == 0 ? null : version.ToString(CultureInfo.InvariantCulture);

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? etag, long stored) => new(
        $"Version conflict on state '{stateName}' of {grainId}: the grain holds ETag {etag ?? "(none)"}, storage holds {Tag(stored) ?? "(none)"}",
        Tag(stored), etag);

    /// <summary>
    /// One state's payload and version (0: never written). A clear keeps counting, as the durable providers do (the
    /// row stays with no payload and the next version): an activation still holding a version from before the clear
    /// must not find that number again once the state is rewritten.
    /// </summary>
    private sealed class Slot
    {
        private readonly Lock _lock = new();
        private BinaryData? _payload;
        private long _version;

        public (BinaryData? Payload, long Version) Read()
        {
            lock (_lock)
            {
                return (_payload, _version);
            }
        }

        /// <summary>Stores the payload (null clears) if the slot still holds the version the grain read; returns the new version.</summary>
        public long Swap(string stateName, GrainId grainId, string? etag, BinaryData? payload)
        {
            var expected = etag is null ? 0 : long.Parse(etag, CultureInfo.InvariantCulture);
            lock (_lock)
            {
                if (_version != expected)
                {
                    throw Conflict(stateName, grainId, etag, _version);
                }

                if (payload is null && _version == 0)
                {
                    return 0; // nothing was ever written: a clear of nothing stays nothing
                }

                _payload = payload;
                _version = expected + 1;
                return _version;
            }
        }
    }
}
