namespace Orchestrator.Domain.Deals;

/// <summary>What one task needs from the worker that runs it.</summary>
/// <param name="Tee">TEE kind required (None for standard tasks).</param>
/// <param name="Cores">CPU cores.</param>
/// <param name="MemoryMb">Memory in MiB.</param>
/// <param name="Gpu">Whether a GPU is required.</param>
/// <param name="CategoryId">The deal's category (workers may accept only some categories).</param>
public sealed record TaskRequirements(TeeKind Tee, int Cores, int MemoryMb, bool Gpu, int CategoryId)
{
    /// <summary>
    /// The dispatch class: tasks of one class sit in the same partitioned queues. Resources vary
    /// continuously, so they are bucketed; the exact check happens when a worker takes a task.
    /// </summary>
    public string DispatchClass => $"{Tee.ToString().ToLowerInvariant()}-{(Gpu ? "gpu" : "cpu")}";
}

/// <summary>What a worker offers.</summary>
/// <param name="Tee">The TEE kind the machine provides.</param>
/// <param name="Cores">CPU cores.</param>
/// <param name="MemoryMb">Memory in MiB.</param>
/// <param name="Gpu">Whether it has a GPU.</param>
/// <param name="Slots">How many replicates it runs at once.</param>
/// <param name="Categories">Accepted category ids; empty means all.</param>
public sealed record WorkerCapabilities(TeeKind Tee, int Cores, int MemoryMb, bool Gpu, int Slots, IReadOnlyList<int> Categories)
{
    /// <summary>Validates the declared capabilities.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Cores is < 1 or > 4096) errors.Add($"cores must be 1..4096, got {Cores}");
        if (MemoryMb is < 1 or > 64 * 1024 * 1024) errors.Add($"memoryMb must be 1..67108864, got {MemoryMb}");
        if (Slots is < 1 or > 1024) errors.Add($"slots must be 1..1024, got {Slots}");
        if (!Enum.IsDefined(Tee)) errors.Add($"tee kind {(int)Tee} is unknown");
        return errors;
    }
}
