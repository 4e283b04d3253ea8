using k8s.Models;
using Microsoft.Extensions.Configuration;
using Orchestrator.Domain.Deals;
using Orchestrator.Enclave.Quoting;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Deployment.Tests;

/// <summary>
/// The TEE worker DaemonSets under k8s/, parsed with KubernetesClient's typed models: their environment is
/// bound to the worker's own options (an unknown key fails) and validated by its validator, the enclave's
/// devices or quote interface are mounted where the runner's arguments say, and each node has its own key.
/// </summary>
public sealed class WorkerDaemonSetTests
{
    private static V1DaemonSet Load(string name) =>
        KubernetesManifestTests.Load().OfType<V1DaemonSet>().Single(d => d.Metadata.Name == name);

    [Theory]
    [InlineData("orchestrator-worker-sgx", TeeKind.Sgx)]
    [InlineData("orchestrator-worker-tdx", TeeKind.Tdx)]
    public void The_environment_is_a_valid_worker_configuration_with_a_trusted_runner_and_a_per_node_key(string name, TeeKind tee)
    {
        var pod = Load(name).Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var options = Bind(container);

        Assert.Equal(tee, options.Capabilities.Tee);
        Assert.False(options.SimulatedEnclave);
        Assert.False(string.IsNullOrWhiteSpace(options.EnclaveRunner.Command));
        // Only the key file (a mount on the node) is missing here: everything else passes the agent's own validator.
        var error = Assert.Single(WorkerOptionsValidator.Check(options));
        Assert.Contains("PrivateKeyFile", error, StringComparison.Ordinal);

        // The key: this node's file in the Secret, named by the downward API's node name declared before its use.
        var names = container.Env.Select(e => e.Name).ToList();
        Assert.True(names.IndexOf("NODE_NAME") < names.IndexOf("OrchestratorWorker__PrivateKeyFile"));
        Assert.Equal("spec.nodeName", container.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.EndsWith("/$(NODE_NAME)", options.PrivateKeyFile, StringComparison.Ordinal);
        var keyMount = container.VolumeMounts.Single(m => m.MountPath == Path.GetDirectoryName(options.PrivateKeyFile));
        Assert.True(keyMount.ReadOnlyProperty);
        Assert.Equal("orchestrator-worker-keys", pod.Volumes.Single(v => v.Name == keyMount.Name).Secret.SecretName);

        Assert.True(pod.TerminationGracePeriodSeconds > options.DrainGracePeriod.TotalSeconds, $"{name}: the grace period must outlast the drain");
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.False(pod.AutomountServiceAccountToken);
    }

    [Fact]
    public void Sgx_workers_request_the_device_plugins_enclave_resources_and_run_the_runner_in_gramine()
    {
        var pod = Load("orchestrator-worker-sgx").Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var options = Bind(container);

        foreach (var resource in new[] { "sgx.intel.com/epc", "sgx.intel.com/enclave", "sgx.intel.com/provision" })
        {
            Assert.True(container.Resources.Limits.ContainsKey(resource), $"the SGX worker does not request {resource}");
        }

        Assert.Equal("true", pod.NodeSelector["intel.feature.node.kubernetes.io/sgx"]);
        Assert.Equal("gramine-sgx", options.EnclaveRunner.Command);
        Assert.Equal(["orchestrator-enclave", "--quote-provider", nameof(QuoteProviderKind.Gramine)], options.EnclaveRunner.Arguments);
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/var/run/aesmd");
    }

    [Fact]
    public void Tdx_workers_run_in_a_confidential_pod_with_the_guests_configfs_tsm_where_the_runner_looks()
    {
        var pod = Load("orchestrator-worker-tdx").Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var options = Bind(container);

        Assert.Equal("kata-qemu-tdx", pod.RuntimeClassName);
        Assert.Equal("true", pod.NodeSelector["intel.feature.node.kubernetes.io/tdx"]);
        Assert.Equal([.. options.EnclaveRunner.Arguments.Skip(1)], ["--quote-provider", nameof(QuoteProviderKind.ConfigfsTsm)]);
        Assert.EndsWith("orchestrator-enclave.dll", options.EnclaveRunner.Arguments[0], StringComparison.Ordinal);
        var tsm = container.VolumeMounts.Single(m => m.MountPath == QuoteProviderOptions.DefaultConfigfsTsmRoot);
        Assert.Equal(QuoteProviderOptions.DefaultConfigfsTsmRoot, pod.Volumes.Single(v => v.Name == tsm.Name).HostPath.Path);
    }

    [Fact]
    public void The_chart_renders_no_worker_by_default_and_both_daemon_sets_like_the_plain_ones_when_enabled()
    {
        var chart = Repository.PathOf("helm/orchestrator");
        var values = Yaml.Map(File.ReadAllText(Path.Combine(chart, "values.yaml")));
        Assert.DoesNotContain("kind: DaemonSet", new HelmRenderer(chart, values).RenderAll()["worker-daemonsets.yaml"], StringComparison.Ordinal);

        values.M("workers").M("sgx")["enabled"] = "true";
        values.M("workers").M("tdx")["enabled"] = "true";
        var rendered = new HelmRenderer(chart, values).RenderAll()["worker-daemonsets.yaml"];
        var daemonSets = k8s.KubernetesYaml.LoadAllFromString(rendered).OfType<V1DaemonSet>().ToList();

        Assert.Equal(2, daemonSets.Count);
        foreach (var rendered1 in daemonSets)
        {
            var plain = Load(rendered1.Metadata.Name.Replace("demo-orchestrator", "orchestrator", StringComparison.Ordinal));
            var container = Assert.Single(rendered1.Spec.Template.Spec.Containers);
            Assert.Equal(Bind(Assert.Single(plain.Spec.Template.Spec.Containers)).EnclaveRunner.Arguments, Bind(container).EnclaveRunner.Arguments);
            Assert.Equal(plain.Spec.Template.Spec.Containers[0].Env.Select(e => e.Name), container.Env.Select(e => e.Name));
            Assert.Equal(plain.Spec.Template.Spec.RuntimeClassName, rendered1.Spec.Template.Spec.RuntimeClassName);
            Assert.Equal(plain.Spec.Template.Spec.Containers[0].Resources.Limits.Keys.Order(), container.Resources.Limits.Keys.Order());
        }
    }

    /// <summary>The container's OrchestratorWorker__ variables bound as the agent binds them; a key no option reads fails.</summary>
    private static WorkerOptions Bind(V1Container container)
    {
        var values = container.Env.Where(e => e.Name.StartsWith("OrchestratorWorker__", StringComparison.Ordinal))
            .ToDictionary(e => e.Name.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new WorkerOptions();
        configuration.GetSection("OrchestratorWorker").Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        return options;
    }
}
