using System.Globalization;
using k8s.Models;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Deployment.Tests;

/// <summary>
/// Checks shared by the plain manifests and the rendered chart: the silo Deployment's probes, ports,
/// environment and secrets against what the host serves and reads; Services and the budget select its pods.
/// </summary>
public static class ManifestChecks
{
    /// <summary>Secrets the silo must take from Secret objects, never from a ConfigMap: key pattern → what it is.</summary>
    public static readonly (string Key, string What)[] SecretKeys =
    [
        ("Orchestrator__PostgresConnectionString", "the database"),
        ("Orchestrator__RabbitMq__Password", "the bus"),
        ("Orchestrator__Chain__SchedulerKey", "the chain key"),
        ("Orchestrator__Secrets__MasterKeys__", "the SMS master key"),
    ];

    public static void Check(IReadOnlyList<object> objects, string origin)
    {
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        var pod = deployment.Spec.Template;
        var container = Assert.Single(pod.Spec.Containers);
        var configMapName = Assert.Single(container.EnvFrom ?? []).ConfigMapRef.Name;
        var configMap = objects.OfType<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == configMapName);
        Assert.True(configMap is not null, $"{origin}: the silo reads ConfigMap {configMapName}, which is not defined");

        // Every variable is a key the code reads.
        var names = configMap.Data.Keys.Concat(container.Env.Select(e => e.Name)).ToList();
        var unknown = names.Where(n => !ConfigurationKeys.IsKnown(n)).ToList();
        Assert.True(unknown.Count == 0, $"{origin}: no options class reads {string.Join(", ", unknown)}");
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());

        // Secrets come from Secrets, never from the ConfigMap.
        foreach (var (key, what) in SecretKeys)
        {
            var variable = container.Env.SingleOrDefault(e => e.Name.StartsWith(key, StringComparison.OrdinalIgnoreCase));
            Assert.True(variable?.ValueFrom?.SecretKeyRef is { Name.Length: > 0, Key.Length: > 0 }, $"{origin}: {what} ({key}) must come from a secretKeyRef");
            Assert.DoesNotContain(configMap.Data.Keys, k => k.StartsWith(key, StringComparison.OrdinalIgnoreCase));
        }

        // Each pod configures Orleans from the downward API.
        Assert.Equal("status.podIP", container.Env.Single(e => e.Name == "Orchestrator__AdvertisedIp").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.name", container.Env.Single(e => e.Name == "Orchestrator__SiloName").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("Postgres", configMap.Data["Orchestrator__Clustering"]);

        // Ports: what the configuration makes the host listen on.
        var data = configMap.Data.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        int PortNamed(string name) => container.Ports.Single(p => p.Name == name).ContainerPort;
        Assert.Equal(Int(data, "Orchestrator__SiloPort", Endpoints.DefaultSiloPort), PortNamed("silo"));
        Assert.Equal(Int(data, "Orchestrator__GatewayPort", Endpoints.DefaultGatewayPort), PortNamed("gateway"));
        Assert.Equal(Endpoints.PortOf(data["Orchestrator__Api__Url"]), PortNamed("grpc"));
        var httpPort = Endpoints.PortOf(data["Orchestrator__Api__HttpUrl"]);
        Assert.Equal(httpPort, PortNamed("http"));

        // Probes: the paths the host maps, on its HTTP port.
        Assert.Equal(Endpoints.LivenessPath, container.LivenessProbe.HttpGet.Path);
        Assert.Equal(Endpoints.ReadinessPath, container.ReadinessProbe.HttpGet.Path);
        Assert.Equal(Endpoints.LivenessPath, container.StartupProbe?.HttpGet.Path);
        foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe! })
        {
            Assert.Equal(httpPort, ResolvePort(probe.HttpGet.Port, container));
        }

        // Prometheus annotations point at the scrape endpoint.
        Assert.Equal(Endpoints.MetricsPath, pod.Metadata.Annotations["prometheus.io/path"]);
        Assert.Equal(httpPort.ToString(CultureInfo.InvariantCulture), pod.Metadata.Annotations["prometheus.io/port"]);

        // Graceful termination outlasts the host's shutdown timeout, so a silo hands over before SIGKILL.
        var shutdown = data.TryGetValue("Orchestrator__ShutdownTimeout", out var text) ? TimeSpan.Parse(text, CultureInfo.InvariantCulture) : Endpoints.DefaultShutdownTimeout;
        Assert.True(pod.Spec.TerminationGracePeriodSeconds > shutdown.TotalSeconds, $"{origin}: terminationGracePeriodSeconds {pod.Spec.TerminationGracePeriodSeconds} must exceed Orchestrator__ShutdownTimeout {shutdown}");

        Assert.True(container.Resources.Requests.ContainsKey("cpu") && container.Resources.Requests.ContainsKey("memory"), $"{origin}: resource requests are missing");
        Assert.True(pod.Spec.SecurityContext.RunAsNonRoot);

        // Services and the disruption budget select these pods, on ports the container has.
        var labels = pod.Metadata.Labels;
        Assert.All(deployment.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));
        var services = objects.OfType<V1Service>().ToList();
        Assert.Contains(services, s => s.Spec.Ports.Any(p => ResolvePort(p.TargetPort, container) == PortNamed("grpc")));
        Assert.Contains(services, s => s.Spec.Ports.Any(p => ResolvePort(p.TargetPort, container) == httpPort));
        foreach (var service in services)
        {
            Assert.All(service.Spec.Selector, kv => Assert.Equal(kv.Value, labels.TryGetValue(kv.Key, out var v) ? v : null));
            Assert.All(service.Spec.Ports, p => Assert.NotNull(ResolvePort(p.TargetPort, container)));
        }

        var budget = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        Assert.All(budget.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));
        Assert.True(budget.Spec.MaxUnavailable is not null || budget.Spec.MinAvailable is not null);
    }

    private static int Int(Dictionary<string, string> data, string key, int fallback)
        => data.TryGetValue(key, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A probe's or Service's port (a number or a container port's name) as a number, or null when it names no port.</summary>
    private static int? ResolvePort(IntOrString port, V1Container container)
    {
        if (int.TryParse(port.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        return container.Ports.FirstOrDefault(p => p.Name == port.Value)?.ContainerPort;
    }
}
