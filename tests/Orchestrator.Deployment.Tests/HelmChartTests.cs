using System.Text.Json;
using k8s;
using k8s.Models;

namespace Orchestrator.Deployment.Tests;

/// <summary>The Helm chart rendered with its values (and with TLS on), parsed with the typed models, checked like k8s/.</summary>
public sealed class HelmChartTests
{
    private static readonly string Chart = Repository.PathOf("helm/orchestrator");

    private static Dictionary<object, object> Values() => Yaml.Map(File.ReadAllText(Path.Combine(Chart, "values.yaml")));

    private static List<object> Render(Dictionary<object, object> values)
        => Documents(values).Where(doc => !IsCertManager(doc)).SelectMany(doc => KubernetesYaml.LoadAllFromString(doc)).ToList();

    /// <summary>cert-manager's kinds have no typed model here: they are read as plain YAML.</summary>
    private static List<Dictionary<object, object>> CertManagerObjects(Dictionary<object, object> values)
        => Documents(values).Where(IsCertManager).Select(Yaml.Map).ToList();

    private static IEnumerable<string> Documents(Dictionary<object, object> values)
        => new HelmRenderer(Chart, values).RenderAll().Values
            .SelectMany(text => text.Split("\n---", StringSplitOptions.RemoveEmptyEntries))
            .Where(doc => doc.Contains("kind:", StringComparison.Ordinal));

    private static bool IsCertManager(string doc) => doc.Contains("apiVersion: cert-manager.io/", StringComparison.Ordinal);

    [Fact]
    public void The_chart_renders_the_same_checked_objects_as_the_plain_manifests()
    {
        var objects = Render(Values());
        ManifestChecks.Check(objects, "helm/orchestrator");
        var kinds = objects.Select(o => o.GetType().Name).Order().ToList();
        // The TEE worker DaemonSets are opt-in in the chart (workers.sgx/tdx.enabled); WorkerDaemonSetTests renders them.
        var plain = KubernetesManifestTests.Load().Where(o => o is not V1Namespace and not V1DaemonSet).Select(o => o.GetType().Name).Order().ToList();
        Assert.Superset(plain.ToHashSet(), kinds.ToHashSet());
    }

    [Fact]
    public void Values_drive_images_replicas_secrets_and_exporters()
    {
        var values = Values();
        values.M("image")["repository"] = "registry.example/orchestrator";
        values.M("image")["tag"] = "9.9.9";
        values["replicas"] = "5";
        values.M("database")["secretName"] = "pg-credentials";
        values.M("telemetry")["otlpEndpoint"] = "http://collector.example:4317";
        var objects = Render(values);
        var deployment = objects.OfType<V1Deployment>().Single();
        Assert.Equal(5, deployment.Spec.Replicas);
        Assert.Equal("registry.example/orchestrator:9.9.9", deployment.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("pg-credentials", deployment.Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "Orchestrator__PostgresConnectionString").ValueFrom.SecretKeyRef.Name);
        Assert.Equal("http://collector.example:4317", objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.EndsWith("-config", StringComparison.Ordinal)).Data["Orchestrator__Telemetry__OtlpEndpoint"]);
    }

    [Fact]
    public void Tls_is_on_by_default_and_mounts_the_certificate_where_the_api_options_point()
    {
        var values = Values();
        Assert.Equal("true", values.M("api").M("tls").S("enabled"));
        var objects = Render(values);
        ManifestChecks.Check(objects, "helm/orchestrator (tls)");
        var config = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.EndsWith("-config", StringComparison.Ordinal)).Data;
        Assert.StartsWith("https://", config["Orchestrator__Api__Url"], StringComparison.Ordinal);
        var container = objects.OfType<V1Deployment>().Single().Spec.Template.Spec.Containers[0];
        var mount = container.VolumeMounts.Single(m => m.Name == "tls");
        Assert.StartsWith(mount.MountPath + "/", config["Orchestrator__Api__CertificatePath"], StringComparison.Ordinal);
        Assert.StartsWith(mount.MountPath + "/", config["Orchestrator__Api__CertificateKeyPath"], StringComparison.Ordinal);
        Assert.Equal("https", objects.OfType<V1Service>().Single(s => s.Metadata.Name.EndsWith("-grpc", StringComparison.Ordinal)).Spec.Ports[0].AppProtocol);
    }

    [Fact]
    public void With_a_cert_manager_issuer_the_chart_requests_the_certificate_the_pods_mount_for_the_service_name()
    {
        var values = Values();
        Assert.Empty(CertManagerObjects(values)); // no issuer named: the operator provides the Secret
        var certManager = values.M("api").M("tls").M("certManager");
        certManager["issuer"] = "pool-ca";
        certManager["dnsNames"] = new List<object> { "pool.example.org" };

        var certificate = Assert.Single(CertManagerObjects(values));
        Assert.Equal("Certificate", certificate.S("kind"));
        var spec = certificate.M("spec");
        var deployment = Render(values).OfType<V1Deployment>().Single();
        var secretName = deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "tls").Secret.SecretName;
        Assert.Equal(secretName, spec.S("secretName"));
        Assert.Equal("pool-ca", spec.M("issuerRef").S("name"));
        Assert.Equal("ClusterIssuer", spec.M("issuerRef").S("kind"));
        var grpcService = Render(values).OfType<V1Service>().Single(s => s.Metadata.Name.EndsWith("-grpc", StringComparison.Ordinal)).Metadata.Name;
        Assert.Equal([grpcService, grpcService + ".default.svc", grpcService + ".default.svc.cluster.local", "pool.example.org"], spec.L("dnsNames").Cast<string>());

        values.M("api").M("tls")["enabled"] = "false";
        Assert.Empty(CertManagerObjects(values));
    }

    [Fact]
    public void The_dashboard_config_map_carries_the_dashboard_file_for_grafanas_sidecar()
    {
        var objects = Render(Values());
        var dashboard = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.EndsWith("-dashboard", StringComparison.Ordinal));
        Assert.Equal("1", dashboard.Metadata.Labels["grafana_dashboard"]);
        using var shipped = JsonDocument.Parse(dashboard.Data["orchestrator.json"]);
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(Chart, "dashboards/orchestrator.json")));
        Assert.Equal(file.RootElement.GetProperty("panels").GetArrayLength(), shipped.RootElement.GetProperty("panels").GetArrayLength());

        var values = Values();
        values.M("grafanaDashboard")["enabled"] = "false";
        Assert.DoesNotContain(Render(values).OfType<V1ConfigMap>(), c => c.Metadata.Name.EndsWith("-dashboard", StringComparison.Ordinal));
    }
}
