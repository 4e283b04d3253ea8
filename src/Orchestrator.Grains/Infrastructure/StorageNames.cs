namespace Orchestrator.Grains.Infrastructure;

/// <summary>Names of the storage providers the grains use; the host binds them to memory or PostgreSQL.</summary>
public static class StorageNames
{
    /// <summary>Grain state.</summary>
    public const string Default = "orchestrator";
}
