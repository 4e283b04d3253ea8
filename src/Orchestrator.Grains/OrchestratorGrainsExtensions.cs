using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orchestrator.Abstractions.Events;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Bus;
using Orchestrator.Grains.Dispatch;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;

namespace Orchestrator.Grains;

/// <summary>Registers what the grains need in a silo.</summary>
public static class OrchestratorGrainsExtensions
{
    /// <summary>Adds the clock, dispatch routing, outbox publishing, categories and (unless one is registered) the in-memory bus.</summary>
    public static IServiceCollection AddOrchestratorGrains(this IServiceCollection services)
    {
        services.AddOptions<SchedulingOptions>().BindConfiguration(SchedulingOptions.Section);
        services.TryAddSingleton(sp => new OrchestratorClock(TimeProvider.System));
        services.TryAddSingleton(CategoryCatalog.Default);
        services.TryAddSingleton<DispatchRouter>();
        services.TryAddSingleton<OutboxPublisher>();
        services.TryAddSingleton<Workers.WorkerAttestor>();
        services.TryAddSingleton<EventLedger>();
        services.AddSingleton<IIntegrationEventHandler>(sp => sp.GetRequiredService<EventLedger>());
        services.AddOrchestratorAttestation();
        if (!services.Any(d => d.ServiceType == typeof(IEventBus)))
        {
            services.AddSingleton<InMemoryEventBus>();
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<InMemoryEventBus>());
            services.AddHostedService(sp => sp.GetRequiredService<InMemoryEventBus>());
        }

        return services;
    }
}
