using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orchestrator.Host.Hosting;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Orchestrator.Host.Persistence.GroupCommit;

/// <summary>Registers the group-commit grain storage under a provider name.</summary>
public static class GroupCommitStorageExtensions
{
    /// <summary>Adds the storage; the silo's <see cref="NpgsqlDataSource"/> must already be registered.</summary>
    public static ISiloBuilder AddGroupCommitGrainStorage(this ISiloBuilder silo, string name)
    {
        silo.Services.AddOptions<GroupCommitOptions>().BindConfiguration(GroupCommitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        silo.Services.AddSingleton<GroupCommitStatistics>();
        silo.Services.AddSingleton(sp => new GroupCommitQueue(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<IOptions<GroupCommitOptions>>().Value,
            sp.GetRequiredService<GroupCommitStatistics>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<GroupCommitQueue>()));
        silo.Services.AddGrainStorage(name, (sp, _) => new GroupCommitGrainStorage(
            sp.GetRequiredService<GroupCommitQueue>(),
            new StateSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>())));
        return silo;
    }
}
