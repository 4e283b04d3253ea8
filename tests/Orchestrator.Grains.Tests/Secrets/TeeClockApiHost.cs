using System.Security.Cryptography;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Grains.Tests.Infrastructure;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>
/// A real silo with the API on Kestrel whose verifier trusts a test TEE's root (in-memory state, the test root's
/// explicit consent) and reads its collateral from files, and whose protocol clock is a <see cref="FakeTimeProvider"/>
/// starting at the test TEE's instant: evidence ages and collateral leaves its window when a test says so. Liveness
/// is judged on the same clock, so the heartbeat timeout is an hour: a test's jump of minutes loses no worker.
/// </summary>
public sealed class TeeClockApiHost : IAsyncLifetime
{
    private ApiSilo? _silo;

    /// <summary>The test platform the silo trusts.</summary>
    public TestTee Tee { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The silo's protocol clock.</summary>
    public FakeTimeProvider Time { get; private set; } = null!;

    /// <summary>Scratch space (the collateral, the test TEE's files, the runners' private directories).</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "orch-tee-clock-" + Guid.NewGuid().ToString("n")[..8]);

    public GrpcChannel Channel => _silo!.Channel;

    public IGrainFactory Grains => _silo!.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        Time = new FakeTimeProvider(Tee.At);
        var files = Tee.WriteFiles(Path.Combine(Directory, "test-tee"));
        _silo = await ApiSilo.StartAsync("tee-clock-tests", SecretsApiHost.Token, new Dictionary<string, string?>
        {
            ["Orchestrator:Secrets:MasterKeys:tee-clock"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator:Scheduling:HeartbeatTimeout"] = "01:00:00",
            ["Orchestrator:Attestation:TestRootCertificate"] = files.RootPemPath,
            ["Orchestrator:Attestation:AllowTestRoots"] = "true",
            ["Orchestrator:Attestation:CollateralDirectory"] = files.CollateralDirectory,
        }, Time);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        Tee.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // the test TEE's answering loop may still be closing a file; the OS's temp cleaning gets it
        }
    }
}
