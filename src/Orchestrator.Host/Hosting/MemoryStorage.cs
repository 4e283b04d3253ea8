using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Orchestrator.Host.Hosting;

/// <summary>The embedded (in-memory) grain storage, with the same serializer as the durable one.</summary>
public static class MemoryStorage
{
    /// <summary>
    /// Adds in-memory grain storage that serializes with Orleans' own serializer. Its default is
    /// Newtonsoft JSON, which neither round-trips our value types (their fields are private) nor is
    /// cheap: it was the largest cost of a task lifecycle in the embedded mode.
    /// </summary>
    public static ISiloBuilder AddOrchestratorMemoryStorage(this ISiloBuilder silo)
        => silo.AddMemoryGrainStorage(Grains.Infrastructure.StorageNames.Default, o => o.Configure<IServiceProvider>((options, sp) =>
            options.GrainStorageSerializer = new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>())));
}
