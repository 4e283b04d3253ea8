using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Orchestrator.Host.Hosting;

/// <summary>The embedded (in-memory) grain storage, with the same serializer as the durable one.</summary>
public static class MemoryStorage
{
    /// <summary>
    /// Adds in-memory grain storage that serializes with Orleans' own serializer. Orleans' default for
    /// memory storage is Newtonsoft JSON, which neither round-trips our value types (their fields are
    /// private) nor is cheap: it was the largest cost of a task lifecycle in the embedded mode.
    /// <para>A single-silo host (localhost clustering) keeps state in this process
    /// (<see cref="InProcessGrainStorage"/>), so grains flushing on deactivation at shutdown still have
    /// their store; a clustered silo needs Orleans' memory storage grains, shared by the silos.</para>
    /// </summary>
    public static ISiloBuilder AddOrchestratorMemoryStorage(this ISiloBuilder silo, bool singleSilo = false)
    {
        if (singleSilo)
        {
            silo.Services.AddGrainStorage(Grains.Infrastructure.StorageNames.Default, (sp, _) =>
                new InProcessGrainStorage(new StateSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>())));
            return silo;
        }

        return silo.AddMemoryGrainStorage(Grains.Infrastructure.StorageNames.Default, o => o.Configure<IServiceProvider>((options, sp) =>
            options.GrainStorageSerializer = new StateSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>())));
    }
}
