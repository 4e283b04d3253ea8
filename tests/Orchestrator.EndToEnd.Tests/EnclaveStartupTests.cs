using Orchestrator.Domain.Crypto;
using Orchestrator.EndToEnd.Tests.Infrastructure;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// A hardware TEE agent on a machine without the configured quote interface (not a TDX guest, not inside Gramine)
/// stops at start with the runner's one-line reason and exit code 4, instead of reconnecting forever with sessions
/// that can never attest. Real `orchestrator-worker` and `orchestrator-enclave` processes; no server is needed,
/// since the agent must fail before it connects.
/// </summary>
public sealed class EnclaveStartupTests : IDisposable
{
    private readonly NoPool _pool = new();

    [Theory]
    [InlineData("ConfigfsTsm", "Tdx", "no configfs-tsm report interface at {0}: not a TDX guest, or the kernel lacks TSM")]
    [InlineData("Gramine", "Sgx", "no Gramine attestation interface at {0}: not inside a Gramine SGX enclave, or its manifest does not enable sgx.remote_attestation")]
    public async Task An_agent_whose_quote_interface_is_missing_exits_at_start_with_one_line_naming_it(string provider, string tee, string expected)
    {
        var missing = Path.Combine(_pool.Directory, "no-such-interface-" + provider);
        using var worker = await WorkerAgentProcess.StartWithRunnerAsync(_pool, "missing-" + provider, new TestApp(Secp256k1.AddressOf(Secp256k1.NewPrivateKey()), "/bin/true"), tee,
            "--quote-provider", provider, "--quote-root", missing);

        Assert.True(await worker.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the agent keeps running:\n" + worker.Process.Output);
        Assert.Equal(4, worker.Process.ExitCode);
        var line = Assert.Single(worker.Process.Output.Split('\n'), l => l.StartsWith("orchestrator-worker: ", StringComparison.Ordinal));
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, missing), line, StringComparison.Ordinal);
        Assert.DoesNotContain("connecting to", worker.Process.Output, StringComparison.Ordinal); // it never tried the server
    }

    /// <inheritdoc />
    public void Dispose() => _pool.Dispose();

    /// <summary>A pool nobody serves: the agent must not get as far as connecting to it.</summary>
    private sealed class NoPool : IWorkerPool, IDisposable
    {
        public string Url => "http://127.0.0.1:9";

        public string Directory { get; } = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "orch-e2e-startup-" + Guid.NewGuid().ToString("n")[..8])).FullName;

        public Task AuthorizeAsync(params Address[] workers) => Task.CompletedTask;

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
