using System.Text.RegularExpressions;

namespace Orchestrator.Deployment.Tests;

/// <summary>docker-compose.yml parsed and checked against what the code reads and serves.</summary>
public sealed partial class ComposeTests
{
    private static readonly Dictionary<object, object> Compose = Yaml.Map(Repository.Read("docker-compose.yml"));
    private static readonly Dictionary<object, object> Services = Compose.M("services");

    private static readonly string[] Silos = ["silo-1", "silo-2", "silo-3"];
    private static readonly string[] Workers = ["worker-1", "worker-2"];

    [Fact]
    public void The_stack_has_every_service_the_issue_names()
    {
        string[] expected = ["postgres", "rabbitmq", "anvil", .. Silos, .. Workers, "otel-collector", "prometheus", "grafana"];
        Assert.All(expected, name => Assert.True(Services.ContainsKey(name), $"docker-compose.yml has no service '{name}'"));
    }

    [Fact]
    public void Every_environment_variable_of_a_silo_or_worker_is_a_key_the_code_reads()
    {
        foreach (var name in Silos.Concat(Workers))
        {
            var unknown = Environment(name).Keys.Where(k => !ConfigurationKeys.IsKnown(k)).ToList();
            Assert.True(unknown.Count == 0, $"{name}: no options class reads {string.Join(", ", unknown)}");
        }
    }

    [Fact]
    public void Silos_share_one_cluster_and_database_and_expose_what_they_serve()
    {
        var environments = Silos.Select(Environment).ToList();
        foreach (var key in new[] { "Orchestrator:ClusterId", "Orchestrator:ServiceId", "Orchestrator:PostgresConnectionString", "Orchestrator:Clustering", "Orchestrator:Storage" })
        {
            Assert.Single(environments.Select(e => Endpoints.Lookup(e, key)).Distinct());
            Assert.NotNull(Endpoints.Lookup(environments[0], key));
        }

        Assert.Equal("Postgres", Endpoints.Lookup(environments[0], "Orchestrator:Clustering"));
        Assert.Equal(3, environments.Select(e => Endpoints.Lookup(e, "Orchestrator:SiloName")).Distinct().Count());

        var httpPort = Endpoints.PortOf(Endpoints.Lookup(environments[0], "Orchestrator:Api:HttpUrl")!);
        var silo = Services.M("silo-1");
        var healthcheck = string.Join(' ', silo.M("healthcheck").L("test").Cast<string>());
        Assert.Contains($"http://127.0.0.1:{httpPort}{Endpoints.ReadinessPath}", healthcheck, StringComparison.Ordinal);
        Assert.Contains(silo.L("ports").Cast<string>(), p => p.EndsWith($":{httpPort}", StringComparison.Ordinal));

        // Docker's SIGKILL comes after stop_grace_period: it must exceed the host's shutdown timeout.
        var shutdown = TimeSpan.Parse(Endpoints.Lookup(environments[0], "Orchestrator:ShutdownTimeout") ?? Endpoints.DefaultShutdownTimeout.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ParseDuration(silo.S("stop_grace_period")!) > shutdown, "stop_grace_period must exceed Orchestrator:ShutdownTimeout");
    }

    [Fact]
    public void Workers_reach_a_silos_grpc_port()
    {
        foreach (var name in Workers)
        {
            var server = new Uri(Endpoints.Lookup(Environment(name), "OrchestratorWorker:ServerUrl")!);
            Assert.Contains(server.Host, Silos);
            var siloEnvironment = Environment(server.Host);
            Assert.Equal(Endpoints.PortOf(Endpoints.Lookup(siloEnvironment, "Orchestrator:Api:Url")!), server.Port);
        }
    }

    [Fact]
    public void Every_worker_session_and_silo_link_is_tls_with_the_certificates_the_certs_service_issues()
    {
        var certs = Services.M("certs");
        Assert.Contains("./deploy/certs/issue.sh:/issue.sh:ro", certs.L("volumes").Cast<string>());
        var issued = IssuedFiles();
        string Mounted(string service, string path)
        {
            // Merge keys are applied: a silo's volumes come from x-silo.
            Assert.Contains(Services.M(service).L("volumes").Cast<string>(), m => m.StartsWith("certs:/certs", StringComparison.Ordinal));
            Assert.StartsWith("/certs/", path, StringComparison.Ordinal);
            Assert.Contains(Path.GetFileName(path), issued);
            return path;
        }

        foreach (var silo in Silos)
        {
            var environment = Environment(silo);
            Assert.StartsWith("https://", Endpoints.Lookup(environment, "Orchestrator:Api:Url"), StringComparison.Ordinal);
            foreach (var key in new[] { "Orchestrator:Api:CertificatePath", "Orchestrator:Api:CertificateKeyPath", "Orchestrator:ClusterTls:CertificatePath", "Orchestrator:ClusterTls:KeyPath", "Orchestrator:ClusterTls:CaPath" })
            {
                Mounted(silo, Endpoints.Lookup(environment, key) ?? throw new Xunit.Sdk.XunitException($"{silo} has no {key}"));
            }

            Assert.Equal("service_completed_successfully", Services.M(silo).M("depends_on").M("certs").S("condition"));
        }

        Assert.Contains("ca-public:/ca-public", certs.L("volumes").Cast<string>());
        foreach (var worker in Workers)
        {
            var environment = Environment(worker);
            var server = new Uri(Endpoints.Lookup(environment, "OrchestratorWorker:ServerUrl")!);
            Assert.Equal("https", server.Scheme);
            Assert.Null(Endpoints.Lookup(environment, "OrchestratorWorker:Insecure"));

            // A worker (and every app it runs) must not reach a silo's key: it mounts the CA certificate alone.
            var volumes = Services.M(worker).L("volumes").Cast<string>().ToList();
            Assert.DoesNotContain(volumes, v => v.StartsWith("certs:", StringComparison.Ordinal));
            Assert.Contains("ca-public:/ca:ro", volumes);
            Assert.Equal("/ca/ca.pem", Endpoints.Lookup(environment, "OrchestratorWorker:ServerCaCertificateFile"));
        }
    }

    [Fact]
    public void The_certs_script_issues_a_chain_the_workers_can_verify_for_every_silo_name()
    {
        var root = Directory.CreateTempSubdirectory("orch-compose-certs-").FullName;
        try
        {
            var workers = Path.Combine(root, "ca-public");
            var silos = Path.Combine(root, "certs");
            Commands.Run("sh", [Repository.PathOf("deploy", "certs", "issue.sh"), silos, workers], TimeSpan.FromMinutes(1));
            Assert.Equal(IssuedFiles().Order(StringComparer.Ordinal), Directory.GetFiles(silos).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal(["ca.pem"], Directory.GetFiles(workers).Select(Path.GetFileName));
            Assert.Equal(File.ReadAllText(Path.Combine(silos, "ca.pem")), File.ReadAllText(Path.Combine(workers, "ca.pem")));
            var directory = silos;
            foreach (var (name, authority, other, clientAuth) in new[] { ("api", "ca", "cluster-ca", false), ("cluster", "cluster-ca", "ca", true) })
            {
                using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, authority + ".pem")));
                using var otherCa = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, other + ".pem")));
                using var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(Path.Combine(directory, name + ".pem"), Path.Combine(directory, name + ".key"));
                Assert.True(leaf.HasPrivateKey);
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                Assert.True(chain.Build(leaf), $"{name}.pem does not chain to {authority}.pem: {string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation))}");

                // The cluster CA admits members: the API's CA must not be able to (nor the reverse).
                using var foreign = new System.Security.Cryptography.X509Certificates.X509Chain();
                foreign.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                foreign.ChainPolicy.CustomTrustStore.Add(otherCa);
                foreign.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                Assert.False(foreign.Build(leaf), $"{name}.pem chains to {other}.pem too");
                foreach (var silo in Silos)
                {
                    Assert.True(leaf.MatchesHostname(silo), $"{name}.pem does not name {silo}");
                }

                var usages = leaf.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToList();
                Assert.Contains("1.3.6.1.5.5.7.3.1", usages);
                Assert.Equal(clientAuth, usages.Contains("1.3.6.1.5.5.7.3.2"));
            }

            // Run again (a restart of the stack): the keys stay, so running workers' pinned certificate hash stays valid.
            var before = File.ReadAllText(Path.Combine(directory, "api.pem"));
            Commands.Run("sh", [Repository.PathOf("deploy", "certs", "issue.sh"), silos, workers], TimeSpan.FromMinutes(1));
            Assert.Equal(before, File.ReadAllText(Path.Combine(directory, "api.pem")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The files deploy/certs/issue.sh leaves (its own comment lists them; the CA key is not one).</summary>
    private static string[] IssuedFiles() => ["ca.pem", "api.pem", "api.key", "cluster-ca.pem", "cluster.pem", "cluster.key"];

    [Fact]
    public void Prometheus_scrapes_each_silos_metrics_endpoint_and_the_collector_listens_where_silos_send()
    {
        var prometheus = Yaml.Map(Repository.Read("deploy/prometheus.yml"));
        var job = (Dictionary<object, object>)prometheus.L("scrape_configs").Single();
        Assert.Equal(Endpoints.MetricsPath, job.S("metrics_path"));
        var targets = ((Dictionary<object, object>)job.L("static_configs").Single()).L("targets").Cast<string>().ToList();
        foreach (var silo in Silos)
        {
            var httpPort = Endpoints.PortOf(Endpoints.Lookup(Environment(silo), "Orchestrator:Api:HttpUrl")!);
            Assert.Contains($"{silo}:{httpPort}", targets);
        }

        var otlp = new Uri(Endpoints.Lookup(Environment("silo-1"), "Orchestrator:Telemetry:OtlpEndpoint")!);
        Assert.True(Services.ContainsKey(otlp.Host), $"the OTLP endpoint names a service that does not exist: {otlp.Host}");
        var collector = Yaml.Map(Repository.Read("deploy/otel-collector.yaml"));
        var grpc = collector.M("receivers").M("otlp").M("protocols").M("grpc").S("endpoint")!;
        Assert.EndsWith($":{otlp.Port}", grpc, StringComparison.Ordinal);
        Assert.Equal("Grpc", Endpoints.Lookup(Environment("silo-1"), "Orchestrator:Telemetry:OtlpProtocol"));
    }

    [Fact]
    public void Grafana_is_provisioned_with_the_charts_dashboard_and_mounted_files_exist()
    {
        foreach (var (name, service) in Services.Select(kv => ((string)kv.Key, (Dictionary<object, object>)kv.Value)))
        {
            if (!service.TryGetValue("volumes", out var volumes)) continue;
            foreach (var volume in ((List<object>)volumes).Cast<string>().Where(v => v.StartsWith("./", StringComparison.Ordinal)))
            {
                var source = volume.Split(':')[0];
                Assert.True(File.Exists(Repository.PathOf(source)) || Directory.Exists(Repository.PathOf(source)), $"{name} mounts {source}, which does not exist");
            }
        }

        var grafanaVolumes = Services.M("grafana").L("volumes").Cast<string>().ToList();
        Assert.Contains(grafanaVolumes, v => v.StartsWith("./helm/orchestrator/dashboards:", StringComparison.Ordinal));
        var provider = Yaml.Map(Repository.Read("deploy/grafana/provisioning/dashboards/dashboards.yaml"));
        var path = ((Dictionary<object, object>)provider.L("providers").Single()).M("options").S("path");
        Assert.Contains(grafanaVolumes, v => v.EndsWith(":" + path + ":ro", StringComparison.Ordinal));
    }

    [Fact]
    public void The_images_are_built_from_dockerfiles_that_run_as_non_root_with_a_health_check()
    {
        foreach (var (service, entry) in new[] { ("silo-1", "orchestrator.dll"), ("worker-1", "orchestrator-worker.dll") })
        {
            var dockerfile = Services.M(service).M("build").S("dockerfile")!;
            var text = Repository.Read(dockerfile);
            Assert.True(FromLines().Matches(text).Count >= 2, $"{dockerfile} is not multi-stage");
            Assert.Matches(@"(?m)^USER \S+", text);
            Assert.DoesNotMatch(@"(?m)^USER (root|0)\s*$", text);
            Assert.Matches(@"(?m)^HEALTHCHECK ", text);
            Assert.Contains(entry, text, StringComparison.Ordinal);
        }

        var silo = Repository.Read("docker/silo.Dockerfile");
        Assert.Contains($"http://127.0.0.1:{Endpoints.PortOf(Endpoints.Lookup(Environment("silo-1"), "Orchestrator:Api:HttpUrl")!)}{Endpoints.LivenessPath}", silo, StringComparison.Ordinal);
        var exposed = Regex.Match(silo, @"(?m)^EXPOSE (.+)$").Groups[1].Value.Split(' ').Select(int.Parse).ToHashSet();
        Assert.Superset(new HashSet<int> { Endpoints.DefaultSiloPort, Endpoints.DefaultGatewayPort, 5080, 5081 }, exposed);
    }

    /// <summary>A service's environment as a map (compose accepts a map or a list of NAME=value).</summary>
    private static Dictionary<string, string> Environment(string service)
    {
        var value = Services.M(service)["environment"];
        return value switch
        {
            Dictionary<object, object> map => map.ToDictionary(kv => (string)kv.Key, kv => kv.Value as string ?? string.Empty, StringComparer.Ordinal),
            List<object> list => list.Cast<string>().Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.Ordinal),
            _ => throw new InvalidOperationException($"{service}: unreadable environment"),
        };
    }

    private static TimeSpan ParseDuration(string text)
    {
        var match = Regex.Match(text, @"^(\d+)(s|m)$");
        Assert.True(match.Success, $"unreadable duration {text}");
        var n = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return match.Groups[2].Value == "m" ? TimeSpan.FromMinutes(n) : TimeSpan.FromSeconds(n);
    }

    [GeneratedRegex(@"(?m)^FROM ")]
    private static partial Regex FromLines();
}
