using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orchestrator.Abstractions.Events;

namespace Orchestrator.Simulation;

/// <summary>Registers the simulation's pieces in a silo that runs the demo, a bench or a test.</summary>
public static class SimulationServices
{
    /// <summary>
    /// The <see cref="EventLedger"/> as a handler of the in-memory bus, so the caller can read every
    /// event the silo published (a production silo has no such ledger: it would hold every event forever).
    /// </summary>
    public static IServiceCollection AddEventLedger(this IServiceCollection services)
    {
        services.TryAddSingleton<EventLedger>();
        services.AddSingleton<IIntegrationEventHandler>(sp => sp.GetRequiredService<EventLedger>());
        return services;
    }
}
