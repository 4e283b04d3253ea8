namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>What one grain asked of storage; completed when the round trip that carried it committed.</summary>
internal abstract class StorageOperation(string stateName, string grainId)
{
    /// <summary>The state name (one per grain type).</summary>
    public string StateName { get; } = stateName;

    /// <summary>The grain id as Orleans prints it (type/key).</summary>
    public string GrainId { get; } = grainId;
}

/// <summary>Read a grain's state.</summary>
internal sealed class ReadOperation(string stateName, string grainId) : StorageOperation(stateName, grainId)
{
    /// <summary>Completed with the stored row, or null when there is none.</summary>
    public TaskCompletionSource<StoredState?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Write (payload) or clear (null payload) a grain's state, fenced by the version the grain last saw.</summary>
internal sealed class WriteOperation(string stateName, string grainId, int? expectedVersion, byte[]? payload) : StorageOperation(stateName, grainId)
{
    /// <summary>The ETag the grain holds (null: it believes no row exists).</summary>
    public int? ExpectedVersion { get; } = expectedVersion;

    /// <summary>The serialized state; null clears it.</summary>
    public byte[]? Payload { get; } = payload;

    /// <summary>Completed with the outcome of the fenced write.</summary>
    public TaskCompletionSource<WriteOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A stored row.</summary>
internal readonly record struct StoredState(byte[]? Payload, int Version);

/// <summary>A fenced write's result: the new version, or the version storage holds when the fence refused it.</summary>
internal readonly record struct WriteOutcome(bool Succeeded, int? Version);
