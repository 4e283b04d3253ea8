using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Bus;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;

namespace Orchestrator.Grains;

/// <summary>Registers what the grains need in a silo.</summary>
public static class OrchestratorGrainsExtensions
{
    /// <summary>Adds the clock, dispatch routing, outbox publishing and categories. The host registers the bus (<see cref="IEventBus"/>): grains only publish to it.</summary>
    public static IServiceCollection AddOrchestratorGrains(this IServiceCollection services)
    {
        services.AddOptions<SchedulingOptions>().BindConfiguration(SchedulingOptions.Section);
        services.TryAddSingleton(sp => new OrchestratorClock(TimeProvider.System));
        services.TryAddSingleton(CategoryCatalog.Default);
        services.TryAddSingleton<DispatchRouter>();
        services.TryAddSingleton(sp => new Deals.DealNoticeCarrier((deal, notices) => sp.GetRequiredService<IGrainFactory>().Deal(deal).OnTasksFinalAsync(notices)));
        services.TryAddSingleton<OutboxPublisher>();
        services.TryAddSingleton<Workers.WorkerAttestor>();
        services.TryAddSingleton<Workers.AttestationKeeper>();
        services.TryAddSingleton<Workers.LivenessSweep>();
        services.AddOrchestratorAttestation();
        return services;
    }
}
