using System.Security.Cryptography;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Host.Hosting;
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
    private WebApplication? _app;

    /// <summary>The test platform the silo trusts.</summary>
    public TestTee Tee { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The silo's protocol clock.</summary>
    public FakeTimeProvider Time { get; private set; } = null!;

    /// <summary>Scratch space (the collateral, the test TEE's files, the runners' private directories).</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "orch-tee-clock-" + Guid.NewGuid().ToString("n")[..8]);

    public GrpcChannel Channel { get; private set; } = null!;

    public IGrainFactory Grains => _app!.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        Time = new FakeTimeProvider(Tee.At);
        var files = Tee.WriteFiles(Path.Combine(Directory, "test-tee"));
        var grpcPort = LocalPorts.Free();
        var builder = EmbeddedCluster.CreateWebBuilder([], configure: b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orchestrator:ClusterId"] = "tee-clock-tests",
                ["Orchestrator:SiloPort"] = LocalPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orchestrator:GatewayPort"] = LocalPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orchestrator:Api:Enabled"] = "true",
                ["Orchestrator:Api:Url"] = $"http://127.0.0.1:{grpcPort}",
                ["Orchestrator:Api:HttpUrl"] = $"http://127.0.0.1:{LocalPorts.Free()}",
                ["Orchestrator:Api:AdminToken"] = SecretsApiHost.Token,
                ["Orchestrator:Secrets:MasterKeys:tee-clock"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Orchestrator:Scheduling:HeartbeatTimeout"] = "01:00:00",
                ["Orchestrator:Attestation:TestRootCertificate"] = files.RootPemPath,
                ["Orchestrator:Attestation:AllowTestRoots"] = "true",
                ["Orchestrator:Attestation:CollateralDirectory"] = files.CollateralDirectory,
            });
            b.Services.AddSingleton(new OrchestratorClock(Time));
        });
        _app = SiloWebHost.Build(builder);
        await _app.StartAsync();
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
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
