namespace Orchestrator.Host.Persistence;

/// <summary>PostgreSQL clustering, grain storage and reminders through Orleans' ADO.NET providers.</summary>
public static class PostgresSilo
{
    /// <summary>Configures the parts of the silo that the options put in PostgreSQL.</summary>
    public static void Configure(ISiloBuilder silo, Hosting.OrchestratorOptions options)
        => throw new NotSupportedException("PostgreSQL support is not built yet (issue 4)");
}
