using Orchestrator.Host.Hosting;
using Orchestrator.Host.Observability;

namespace Orchestrator.Deployment.Tests;

/// <summary>What the host serves, from the code: ports from the options' defaults or a deployment's overrides, paths from the constants.</summary>
public static class Endpoints
{
    public static string LivenessPath => ObservabilityExtensions.LivenessPath;

    public static string ReadinessPath => ObservabilityExtensions.ReadinessPath;

    public static string MetricsPath => new TelemetryOptions().PrometheusPath;

    public static int DefaultSiloPort => new OrchestratorOptions().SiloPort;

    public static int DefaultGatewayPort => new OrchestratorOptions().GatewayPort;

    public static TimeSpan DefaultShutdownTimeout => new OrchestratorOptions().ShutdownTimeout;

    /// <summary>The port of a URL setting such as Orchestrator:Api:HttpUrl ("http://0.0.0.0:5081").</summary>
    public static int PortOf(string url) => new Uri(url.Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;

    /// <summary>Looks a key up in an environment map case-insensitively, by ":" or "__" spelling.</summary>
    public static string? Lookup(IReadOnlyDictionary<string, string> environment, string key)
    {
        var name = key.Replace(":", "__", StringComparison.Ordinal);
        return environment.FirstOrDefault(e => string.Equals(e.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
    }
}
