using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Worker.Tests;

public sealed class OptionsTests : IDisposable
{
    private const string Key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Valid_options_pass()
    {
        Assert.Empty(WorkerOptionsValidator.Check(Valid()));
    }

    [Fact]
    public void Every_problem_is_reported_with_the_key_to_fix()
    {
        var options = new WorkerOptions
        {
            ServerUrl = "ftp://pool",
            Capabilities = new CapabilityOptions { Cores = 0, Slots = 0, Tee = TeeKind.Sgx },
            Apps = [new AppOptions { Address = "0x12" }, new AppOptions { Address = "0x0000000000000000000000000000000000000001", Command = "a" }, new AppOptions { Address = "0x0000000000000000000000000000000000000001", Command = "b" }],
            HeartbeatInterval = TimeSpan.Zero,
        };

        var errors = WorkerOptionsValidator.Check(options);

        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:ServerUrl must be an absolute http", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("PrivateKeyFile or OrchestratorWorker:PrivateKey", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:Capabilities:Cores", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:Capabilities:Slots", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SimulatedEnclave=true", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:Apps:0:Address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:Apps:0:Command is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:Apps:2:Address", StringComparison.Ordinal) && e.Contains("twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OrchestratorWorker:HeartbeatInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tee_worker_has_one_enclave_a_runner_or_a_simulated_one_and_a_runner_needs_a_tee()
    {
        var runner = Valid();
        runner.Capabilities.Tee = TeeKind.Sgx;
        runner.EnclaveRunner = new EnclaveRunnerOptions { Command = "gramine-sgx", Arguments = ["orchestrator-enclave", "--quote-provider", "Gramine"] };
        Assert.Empty(WorkerOptionsValidator.Check(runner));

        runner.SimulatedEnclave = true;
        Assert.Equal("OrchestratorWorker:SimulatedEnclave and OrchestratorWorker:EnclaveRunner:Command are both set: a worker has one enclave, simulated or real", Assert.Single(WorkerOptionsValidator.Check(runner)));

        var noTee = Valid();
        noTee.EnclaveRunner.Command = "orchestrator-enclave";
        Assert.StartsWith("OrchestratorWorker:EnclaveRunner:Command is set but Capabilities:Tee is None", Assert.Single(WorkerOptionsValidator.Check(noTee)), StringComparison.Ordinal);

        var none = Valid();
        none.Capabilities.Tee = TeeKind.Tdx;
        Assert.StartsWith("OrchestratorWorker:Capabilities:Tee is Tdx but no enclave is configured: set OrchestratorWorker:EnclaveRunner:Command", Assert.Single(WorkerOptionsValidator.Check(none)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_key_is_refused_without_echoing_it()
    {
        var options = Valid();
        options.PrivateKey = "0x" + new string('f', 64); // above the curve order
        var errors = WorkerOptionsValidator.Check(options);
        var error = Assert.Single(errors);
        Assert.Contains("not a valid secp256k1 private key", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ffff", error, StringComparison.Ordinal);

        options.PrivateKey = "0x1234secret";
        Assert.DoesNotContain("secret", Assert.Single(WorkerOptionsValidator.Check(options)), StringComparison.Ordinal);

        options.PrivateKey = null;
        options.PrivateKeyFile = _dir.Combine("missing.key");
        Assert.Contains("does not exist", Assert.Single(WorkerOptionsValidator.Check(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_docker_executor_takes_images_from_the_pool_so_its_app_list_may_be_empty_but_a_listed_image_needs_a_digest()
    {
        var options = Valid();
        options.Executor = ExecutorKind.Docker;
        options.DockerSocket = "/run/podman/podman.sock";
        Assert.Empty(WorkerOptionsValidator.Check(options));
        options.Apps.Clear();
        Assert.Empty(WorkerOptionsValidator.Check(options));

        options.Apps.Add(new AppOptions { Address = "0x0000000000000000000000000000000000000001", Image = "registry.example/app:latest" });
        var error = Assert.Single(WorkerOptionsValidator.Check(options));
        Assert.Contains("OrchestratorWorker:Apps:0:Image", error, StringComparison.Ordinal);
        Assert.Contains("pinned by digest", error, StringComparison.Ordinal);

        options.Apps.Clear();
        options.DockerSocket = "podman.sock";
        options.Containers.PullAttempts = 0;
        Assert.Equal(2, WorkerOptionsValidator.Check(options).Count);
    }

    [Fact]
    public void The_identity_loads_from_a_file_signs_and_never_shows_the_key()
    {
        var file = _dir.Write("worker.key", Key + "\n");
        var options = Valid();
        options.PrivateKey = null;
        options.PrivateKeyFile = file;

        Assert.True(WorkerIdentity.TryLoad(options, out var identity, out var error), error);
        Assert.Equal(Address.Parse("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"), identity!.Address);
        Assert.DoesNotContain(Key[2..10], identity.ToString(), StringComparison.OrdinalIgnoreCase);
        var message = "hello"u8.ToArray();
        Assert.True(Signature.TryFromBytes65(identity.SignPersonal(message), out var signature, out _));
        Assert.True(EthereumMessage.TryRecover(message, signature!, out var signer));
        Assert.Equal(identity.Address, signer);
    }

    [Fact]
    public void Configuration_comes_from_file_environment_and_switches_in_that_order()
    {
        var file = _dir.Write("worker.json", """{ "OrchestratorWorker": { "ServerUrl": "http://from-file:1", "Capabilities": { "Slots": 5, "Cores": 3 } } }""");
        Environment.SetEnvironmentVariable("OrchestratorWorker__Capabilities__Cores", "7");
        try
        {
            var configuration = WorkerProgram.BuildConfiguration(["--config", file, "--slots", "9"]);
            var options = new WorkerOptions();
            Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(WorkerOptions.Section), options);
            Assert.Equal("http://from-file:1", options.ServerUrl);
            Assert.Equal(7, options.Capabilities.Cores);
            Assert.Equal(9, options.Capabilities.Slots);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OrchestratorWorker__Capabilities__Cores", null);
        }

        Assert.Throws<FileNotFoundException>(() => WorkerProgram.BuildConfiguration(["--config", _dir.Combine("nope.json")]));
    }

    private static WorkerOptions Valid() => new()
    {
        ServerUrl = "http://127.0.0.1:5000",
        PrivateKey = Key,
        Apps = [new AppOptions { Address = "0x0000000000000000000000000000000000000001", Command = "/bin/true" }],
    };

    public void Dispose() => _dir.Dispose();
}
