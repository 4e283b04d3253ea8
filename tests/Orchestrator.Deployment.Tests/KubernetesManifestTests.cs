using k8s;
using k8s.Models;

namespace Orchestrator.Deployment.Tests;

/// <summary>Every file under k8s/ parsed with KubernetesClient's typed models and checked against the code.</summary>
public sealed class KubernetesManifestTests
{
    public static IReadOnlyList<object> Load()
        => Directory.GetFiles(Repository.PathOf("k8s"), "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f)))
            .ToList();

    [Fact]
    public void Every_manifest_parses_into_a_typed_object_in_the_orchestrator_namespace()
    {
        var objects = Load();
        Assert.Contains(objects, o => o is V1Namespace { Metadata.Name: "orchestrator" });
        foreach (var o in objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace))
        {
            Assert.Equal("orchestrator", o.Metadata.NamespaceProperty);
        }

        Assert.Contains(objects, o => o is V1ServiceAccount { AutomountServiceAccountToken: false });
    }

    [Fact]
    public void The_silo_deployment_matches_what_the_host_serves_and_reads()
        => ManifestChecks.Check(Load(), "k8s/");

    [Fact]
    public void The_grpc_port_is_tls_with_the_mounted_certificate()
    {
        var objects = Load();
        var config = objects.OfType<V1ConfigMap>().Single().Data;
        Assert.StartsWith("https://", config["Orchestrator__Api__Url"], StringComparison.Ordinal);
        var pod = objects.OfType<V1Deployment>().Single().Spec.Template.Spec;
        var mount = pod.Containers[0].VolumeMounts.Single(m => m.Name == "tls");
        Assert.True(mount.ReadOnlyProperty);
        Assert.StartsWith(mount.MountPath + "/", config["Orchestrator__Api__CertificatePath"], StringComparison.Ordinal);
        Assert.StartsWith(mount.MountPath + "/", config["Orchestrator__Api__CertificateKeyPath"], StringComparison.Ordinal);
        Assert.Equal("orchestrator-api-tls", pod.Volumes.Single(v => v.Name == "tls").Secret.SecretName);
        Assert.Equal("https", objects.OfType<V1Service>().Single(s => s.Metadata.Name == "orchestrator-grpc").Spec.Ports[0].AppProtocol);
    }

    [Fact]
    public void The_deployment_says_why_it_uses_the_downward_api()
    {
        var text = Repository.Read("k8s/30-silo-deployment.yaml");
        Assert.Contains("downward API", text, StringComparison.Ordinal);
        Assert.Contains("UseKubernetesHosting", text, StringComparison.Ordinal);
    }
}
