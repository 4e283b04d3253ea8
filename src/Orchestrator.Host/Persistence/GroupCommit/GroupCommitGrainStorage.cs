using System.Globalization;
using Orchestrator.Host.Hosting;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>
/// Grain storage on PostgreSQL whose reads and writes from concurrent grains share round trips and
/// commits (<see cref="GroupCommitQueue"/>). Same contract as Orleans' ADO.NET provider: the version
/// is the ETag, a write with a stale ETag changes nothing and raises
/// <see cref="InconsistentStateException"/> (which fences a second activation), and a call returns
/// only once its change has committed.
/// </summary>
internal sealed class GroupCommitGrainStorage(GroupCommitQueue queue, IGrainStorageSerializer serializer) : IGrainStorage
{
    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var read = new ReadOperation(stateName, grainId.ToString());
        queue.Enqueue(read);
        var stored = await read.Completion.Task.ConfigureAwait(false);
        if (stored is { } row)
        {
            grainState.ETag = row.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = row.Payload is not null;
            grainState.State = row.Payload is { } payload ? serializer.Deserialize<T>(new BinaryData(payload)) : Activator.CreateInstance<T>();
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = Activator.CreateInstance<T>();
        }
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = StateSerializer.Bytes(serializer.Serialize(grainState.State)); // the serializer's own array, not a copy of it
        var version = await SendAsync(new WriteOperation(stateName, grainId.ToString(), ParseVersion(grainState.ETag), payload), grainState.ETag).ConfigureAwait(false)
            ?? throw new InvalidOperationException("a successful storage write returned no version");
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var expected = ParseVersion(grainState.ETag);
        if (expected is null)
        {
            // Never written by this activation: check that nothing is there (a stale activation must not
            // believe it cleared state another one wrote).
            await SendAsync(new WriteOperation(stateName, grainId.ToString(), null, null), grainState.ETag).ConfigureAwait(false);
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
            return;
        }

        var cleared = await SendAsync(new WriteOperation(stateName, grainId.ToString(), expected, null), grainState.ETag).ConfigureAwait(false)
            ?? throw new InvalidOperationException("a successful storage clear returned no version");
        grainState.ETag = cleared.ToString(CultureInfo.InvariantCulture);
        grainState.State = Activator.CreateInstance<T>();
        grainState.RecordExists = false;
    }

    private async Task<int?> SendAsync(WriteOperation operation, string? etag)
    {
        queue.Enqueue(operation);
        var outcome = await operation.Completion.Task.ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            var stored = outcome.Version?.ToString(CultureInfo.InvariantCulture) ?? "(none)";
            throw new InconsistentStateException(
                $"Version conflict writing state '{operation.StateName}' of {operation.GrainId}: the grain holds ETag {etag ?? "(none)"}, storage holds {stored}",
                stored,
                etag ?? "(none)");
        }

        return outcome.Version;
    }

    private static int? ParseVersion(string? etag)
        => etag is null ? null
            : int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InconsistentStateException($"ETag '{etag}' is not a version this storage wrote", etag, etag);
}
