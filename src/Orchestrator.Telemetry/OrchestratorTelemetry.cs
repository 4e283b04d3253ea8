namespace Orchestrator.Telemetry;

/// <summary>Every ActivitySource and Meter of the Orchestrator, for the host's OpenTelemetry wiring.</summary>
public static class OrchestratorTelemetry
{
    /// <summary>The OpenTelemetry service name of the silo process.</summary>
    public const string ServiceName = "orchestrator";

    /// <summary>Every component's source and meter name ("Orchestrator.&lt;Component&gt;").</summary>
    public static IReadOnlyList<string> ComponentNames { get; } =
    [
        GrainsTelemetry.Name,
        BridgeTelemetry.Name,
        AttestationTelemetry.Name,
        SecretsTelemetry.Name,
        WorkerAgentTelemetry.Name,
    ];

    /// <summary>
    /// Touches every component class of this assembly so each static Meter exists (instruments are
    /// created with their class; a listener sees only meters that exist). The host calls it once at start.
    /// </summary>
    public static void EnsureCreated()
    {
        _ = GrainsTelemetry.Meter;
        _ = AttestationTelemetry.Meter;
        _ = SecretsTelemetry.Meter;
        _ = BridgeTelemetry.Meter;
        _ = WorkerAgentTelemetry.Meter;
    }
}
